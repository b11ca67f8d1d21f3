"""Duplicate registrations of true persons, distorted the way a second registration would be."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.columns import date_array, day_numbers, null_mask, years_of
from sijill.synth.distort import NAME_COLUMNS, arabic_variant, misspell_names, swap_day_month, swappable
from sijill.synth.identity import DECLARED_TO, draw_phone_numbers, phone_strings
from sijill.synth.names import names
from sijill.synth.persons import People
from sijill.synth.render import Rendered
from sijill.synth.rng import BoolArray, IntArray
from sijill.synth.territory_gen import TerritoryPlan

DUPLICATE_RATE = 0.025
DISTORTIONS = ("typo", "transliteration", "swapped_name_order", "date_error", "combination")
_DISTORTION_P = [0.3, 0.25, 0.15, 0.15, 0.15]
PHONE_AGE = 15  # nobody younger has a phone of their own (identity.py)


@dataclass(frozen=True)
class Duplicates:
    records: pa.Table  # same schema as persons
    truth: pa.Table  # record_id, original_record_id, distortion


def make_duplicates(
    rng: np.random.Generator, plan: TerritoryPlan, people: People, person_annex: IntArray, rendered: Rendered,
    annex_lo: int, annex_hi: int, first_record_id: int,
) -> Duplicates:  # fmt: skip
    base = rendered.table
    src = np.flatnonzero(rng.random(base.num_rows) < DUPLICATE_RATE)
    n = len(src)
    ids = np.arange(first_record_id, first_record_id + n, dtype=np.int64)
    t = base.take(pa.array(src))
    kind = rng.choice(len(DISTORTIONS), n, p=_DISTORTION_P)
    do_typo, do_translit, do_swap, do_date = _distortion_flags(rng, kind)

    cols: dict[str, pa.Array] = {name: t.column(name).combine_chunks() for name in t.column_names}
    cols.update(_respelt(rng, cols, people, rendered, src, do_translit))
    cols.update(misspell_names(rng, cols, do_typo))
    swap = pa.array(do_swap)
    for script in ("lat", "ar"):
        given, family = cols[f"given_name_{script}"], cols[f"family_name_{script}"]
        cols[f"given_name_{script}"] = pc.if_else(swap, family, given)
        cols[f"family_name_{script}"] = pc.if_else(swap, given, family)
    # A typo can undo a respelling (Ines, respelt Iness, loses an s): one more typo then.
    undone = (do_typo | do_translit | do_swap) & _same_names(cols, t)
    cols.update(misspell_names(rng, cols, undone))
    cols.update(_wrong_birth_dates(rng, cols, do_date))

    # The second registration happens later, often in another annex of the same area.
    moved = rng.random(n) < 0.4
    annex_idx = np.where(moved, rng.integers(annex_lo, annex_hi, n), person_annex[src])
    registered, _ = day_numbers(cols["registered_on"])
    cols["annex_code"] = plan.annex_code.take(pa.array(annex_idx))
    cols["registered_by"] = plan.agent_code.take(pa.array(plan.random_agent(rng, annex_idx)))
    cols["registered_on"] = date_array(np.minimum(registered + rng.integers(30, 700, n), DECLARED_TO))
    keep_cin = rng.random(n) < 0.25
    cols["cin"] = pc.if_else(pa.array(keep_cin), cols["cin"], pa.nulls(n, pa.string()))
    # The phone is kept, missing, or a new number for those old enough to have one.
    phone_roll = rng.random(n)
    fresh = phone_strings(np.where(people.age[src] >= PHONE_AGE, draw_phone_numbers(rng, n), -1))
    cols["phone"] = pc.if_else(pa.array(phone_roll < 0.5), cols["phone"],
                               pc.if_else(pa.array(phone_roll < 0.8), pa.nulls(n, pa.string()), fresh))  # fmt: skip
    cols["record_id"] = pa.array(ids)
    cols["household_id"] = pa.nulls(n, pa.int64())
    cols["relationship"] = pa.nulls(n, pa.string())
    cols["death_date"] = pa.nulls(n, pa.date32())
    records = pa.table({name: cols[name] for name in base.column_names}, schema=base.schema)
    truth = pa.table({
        "record_id": pa.array(ids),
        "original_record_id": t.column("record_id").combine_chunks(),
        "distortion": pc.take(pa.array(DISTORTIONS), pa.array(kind)),
    })  # fmt: skip
    return Duplicates(records, truth)


def _distortion_flags(rng: np.random.Generator, kind: IntArray) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray]:
    """Typo, transliteration, swapped order, date error: one of them, or two for a combination."""
    n = len(kind)
    flags = np.zeros((n, 4), dtype=np.bool_)
    flags[np.arange(n), np.minimum(kind, 3)] = kind < 4
    combo = np.flatnonzero(kind == 4)
    first = rng.integers(0, 4, len(combo))
    second = (first + rng.integers(1, 4, len(combo))) % 4
    flags[combo, first] = True
    flags[combo, second] = True
    return flags[:, 0], flags[:, 1], flags[:, 2], flags[:, 3]


def _respelt(
    rng: np.random.Generator, cols: dict[str, pa.Array], people: People, rendered: Rendered, src: IntArray,
    mask: BoolArray,
) -> dict[str, pa.Array]:  # fmt: skip
    """A second agent writes the name again: another Latin spelling of the given and/or family name
    (both where the first registration has no Latin name), and the Arabic with that agent's
    orthographic habits (`distort.arabic_variant`)."""
    nm = names()
    n = len(src)
    g, f = people.given[src], people.family[src]
    new_gv = (rendered.given_variant[src] + rng.integers(1, nm.given.counts[g])) % nm.given.counts[g]
    new_fv = (rendered.family_variant[src] + rng.integers(1, nm.family.counts[f])) % nm.family.counts[f]
    no_latin = null_mask(cols["given_name_lat"])
    change_family = rng.random(n) < 0.6
    both = rng.random(n) < 0.5
    given = mask & (no_latin | ~change_family | both)
    family = mask & (no_latin | change_family)
    return {
        "given_name_lat": pc.if_else(pa.array(given), nm.given.latin_of(g, new_gv), cols["given_name_lat"]),
        "family_name_lat": pc.if_else(pa.array(family), nm.family.latin_of(f, new_fv), cols["family_name_lat"]),
        # The agent writes the Arabic again too: with its own hamza, ta marbuta, spacing habits.
        "given_name_ar": arabic_variant(rng, cols["given_name_ar"], given),
        "family_name_ar": arabic_variant(rng, cols["family_name_ar"], family),
    }


def _same_names(cols: dict[str, pa.Array], originals: pa.Table) -> BoolArray:
    same = np.ones(originals.num_rows, dtype=np.bool_)
    for name in NAME_COLUMNS:
        new, old = cols[name], originals.column(name).combine_chunks()
        equal = pc.fill_null(pc.equal(new, old), False).to_numpy(zero_copy_only=False)
        same &= equal | (null_mask(new) & null_mask(old))
    return same


def _wrong_birth_dates(rng: np.random.Generator, cols: dict[str, pa.Array], mask: BoolArray) -> dict[str, pa.Array]:
    """Day and month swapped (60% of the dates where that is possible), otherwise a year off; only the
    year when the date is unknown."""
    n = len(mask)
    days, known = day_numbers(cols["birth_date"])
    shift_year = np.where(rng.random(n) < 0.5, -1, 1)
    wrong_day = np.where(swappable(days) & (rng.random(n) < 0.6), swap_day_month(days), days + 365 * shift_year)
    new_days = np.where(mask, wrong_day, days)
    year = cols["birth_year"].to_numpy().astype(np.int64)
    new_year = np.where(known, years_of(new_days), year + shift_year)
    presumed = cols["birth_date_presumed"].to_numpy(zero_copy_only=False)
    return {
        "birth_date": date_array(new_days, ~known),
        "birth_year": pa.array(np.where(mask, new_year, year).astype(np.int16)),
        "birth_date_presumed": pa.array(np.where(mask, False, presumed)),
    }
