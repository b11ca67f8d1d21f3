"""Household members: who they are to the head, sex, age, and names consistent with kinship."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sijill.synth.households import Households
from sijill.synth.names import names
from sijill.synth.rng import BoolArray, FloatArray, IntArray, categorical, rank_within

RELATIONSHIPS = ("head", "spouse", "child", "parent", "sibling", "other_relative", "non_relative")
HEAD, SPOUSE, CHILD, PARENT, SIBLING, OTHER, NON_RELATIVE = range(7)
MAX_AGE = 100
# Tuned so that the persons land near the census shares: 26.5% under 15 and 13.8% aged 60+.
CHILD_GAP_BASE, CHILD_GAP_SCALE = 28.0, 4.0
FAMILY_HEAD_AGE_MEAN, FAMILY_HEAD_AGE_SD = 52.0, 16.0


@dataclass
class People:
    """Column arrays of the true persons of a chunk, sorted by household."""

    hh: IntArray
    rel: IntArray
    male: BoolArray
    age: IntArray  # completed years at the household's declaration
    given: IntArray  # index into names().given
    family: IntArray  # index into names().family
    father: IntArray
    mother: IntArray
    no_arabic: BoolArray
    no_latin: BoolArray

    def __len__(self) -> int:
        return len(self.hh)

    def reorder(self, perm: IntArray) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[perm])


def _role_probs(head_age: IntArray) -> FloatArray:
    # Columns: child, parent, sibling, other_relative, non_relative. Young heads live with parents
    # and siblings; older heads with grandchildren (other_relative).
    young = np.array([0.68, 0.12, 0.12, 0.06, 0.02])
    middle = np.array([0.87, 0.04, 0.03, 0.05, 0.01])
    old = np.array([0.70, 0.0, 0.03, 0.26, 0.01])
    return np.where((head_age < 35)[:, None], young, np.where((head_age < 56)[:, None], middle, old)).astype(np.float64)


def _head_age(rng: np.random.Generator, size: IntArray) -> IntArray:
    n = len(size)
    alone = size == 1
    # People living alone are either young adults or, more often, elderly (widows in particular).
    young_alone = 20 + rng.gamma(2.0, 5.0, n)
    old_alone = 55 + rng.gamma(2.0, 7.0, n)
    alone_age = np.where(rng.random(n) < 0.45, young_alone, old_alone)
    family_age = rng.normal(FAMILY_HEAD_AGE_MEAN, FAMILY_HEAD_AGE_SD, n)
    age = np.where(alone, alone_age, family_age)
    return np.clip(np.round(age), 19, 95).astype(np.int64)


def build_people(rng: np.random.Generator, hh: Households) -> People:
    n_hh = len(hh)
    size = hh.size
    head_age = _head_age(rng, size)
    head_female = rng.random(n_hh) < np.where(size == 1, 0.42, 0.14)
    p_spouse = np.where(head_female, 0.08, np.where(head_age < 70, 0.9, 0.72))
    has_spouse = (size >= 2) & (rng.random(n_hh) < p_spouse)

    hidx = np.repeat(np.arange(n_hh, dtype=np.int64), size)
    start = np.cumsum(size) - size
    pos = np.arange(len(hidx), dtype=np.int64) - start[hidx]
    n = len(hidx)
    h_age = head_age[hidx]
    h_female = head_female[hidx]

    rel = np.where(pos == 0, HEAD, np.where((pos == 1) & has_spouse[hidx], SPOUSE, -1)).astype(np.int64)
    others = rel < 0
    rel[others] = CHILD + categorical(rng, _role_probs(h_age[others]))
    # At most two parents per household, and of opposite sex.
    parent_rank = rank_within(hidx, rel == PARENT)
    rel[(rel == PARENT) & (parent_rank >= 2)] = OTHER

    male = rng.random(n) < 0.5
    male[rel == HEAD] = ~h_female[rel == HEAD]
    male[rel == SPOUSE] = h_female[rel == SPOUSE]
    is_parent = rel == PARENT
    first_parent_male = rng.random(n_hh) < 0.35
    male[is_parent] = np.where(parent_rank[is_parent] == 0, first_parent_male[hidx[is_parent]],
                               ~first_parent_male[hidx[is_parent]])  # fmt: skip

    age = np.zeros(n, dtype=np.float64)
    age[rel == HEAD] = head_age
    sp = rel == SPOUSE
    age[sp] = np.maximum(h_age[sp] + np.where(h_female[sp], 1, -1) * rng.normal(6.0, 4.0, int(sp.sum())), 18)
    is_child = rel == CHILD
    ch = np.flatnonzero(is_child)
    # Children are spaced from the eldest down; the head was CHILD_GAP_* years old at the eldest's birth.
    first_gap = CHILD_GAP_BASE + rng.gamma(2.0, CHILD_GAP_SCALE, n_hh)
    spacing = rng.uniform(1.5, 4.0, n_hh)
    rank = rank_within(hidx, is_child)[ch]
    gap = np.minimum(first_gap[hidx[ch]] + rank * spacing[hidx[ch]], 45)
    child_age = h_age[ch] - gap
    too_young = child_age < 0
    child_age[too_young] = rng.integers(0, h_age[ch][too_young] - 14)
    age[ch] = child_age
    pa_ = rel == PARENT
    age[pa_] = h_age[pa_] + rng.uniform(18, 40, int(pa_.sum()))
    sib = rel == SIBLING
    age[sib] = np.maximum(h_age[sib] + rng.normal(0, 7, int(sib.sum())), 1)
    ot = np.flatnonzero(rel == OTHER)
    grand = h_age[ot] - 40 - rng.uniform(0, 25, len(ot))
    grand = np.where(grand < 0, rng.uniform(0, 10, len(ot)), grand)
    age[ot] = np.where(h_age[ot] >= 50, grand, rng.uniform(0, 70, len(ot)))
    nr = rel == NON_RELATIVE
    age[nr] = rng.uniform(15, 60, int(nr.sum()))
    age_i = np.clip(np.floor(age), 0, MAX_AGE).astype(np.int64)
    age_i[rel == HEAD] = head_age

    return _with_names(rng, hidx, rel, male, age_i, has_spouse, head_female)


def _with_names(
    rng: np.random.Generator,
    hidx: IntArray,
    rel: IntArray,
    male: BoolArray,
    age: IntArray,
    has_spouse: BoolArray,
    head_female: BoolArray,
) -> People:
    nm = names()
    n, n_hh = len(hidx), len(has_spouse)
    start = np.flatnonzero(np.r_[True, hidx[1:] != hidx[:-1]])
    given = nm.draw_given(rng, male)
    head_given = given[start]
    spouse_given = np.where(has_spouse, given[np.minimum(start + 1, n - 1)], -1)

    fam_head = nm.family.draw(rng, n_hh)
    fam_spouse = nm.family.draw(rng, n_hh)
    fam_late = nm.family.draw(rng, n_hh)  # a female head's absent or late husband
    head_father = nm.draw_male(rng, n_hh)
    head_mother = nm.draw_female(rng, n_hh)
    late_husband = nm.draw_male(rng, n_hh)

    h = hidx
    hf = head_female[h]
    sp = has_spouse[h]
    children_family = np.where(hf & sp, fam_spouse[h], np.where(hf, fam_late[h], fam_head[h]))
    children_father = np.where(hf & sp, spouse_given[h], np.where(hf, late_husband[h], head_given[h]))
    children_mother = np.where(hf, head_given[h], np.where(sp, spouse_given[h], -1))

    own_family = nm.family.draw(rng, n)
    rand_father = nm.draw_male(rng, n)
    rand_mother = nm.draw_female(rng, n)
    children_mother = np.where(children_mother < 0, rand_mother, children_mother)

    is_ = [rel == k for k in range(7)]
    family = np.select(
        [is_[HEAD], is_[SPOUSE], is_[CHILD], is_[PARENT] & male, is_[SIBLING],
         is_[OTHER] & (rng.random(n) < 0.5)],
        [fam_head[h], fam_spouse[h], children_family, fam_head[h], fam_head[h], children_family],
        own_family,
    )  # fmt: skip
    father = np.select([is_[HEAD] | is_[SIBLING], is_[CHILD]], [head_father[h], children_father], rand_father)
    mother = np.select([is_[HEAD] | is_[SIBLING], is_[CHILD]], [head_mother[h], children_mother], rand_mother)
    # The head's own parents carry the names the head gives as father's and mother's names.
    given = np.where(is_[PARENT], np.where(male, head_father[h], head_mother[h]), given)

    script = rng.random(n)
    return People(
        hh=hidx,
        rel=rel,
        male=male,
        age=age,
        given=given,
        family=family,
        father=father,
        mother=mother,
        no_arabic=script < 0.01,
        no_latin=(script >= 0.01) & (script < 0.04),
    )
