"""Name tables as arrays: drawing names, choosing Latin spellings, rendering strings in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.names_data import FAMILY, FEMALE_GIVEN, MALE_GIVEN
from sijill.synth.rng import BoolArray, FloatArray, IntArray, hash_unit

# Share of records whose spelling is the clerk's whim of the day rather than the agent's habit.
_WHIM_SHARE = 0.12


@dataclass(frozen=True)
class NameTable:
    arabic: pa.Array
    latin: pa.Array  # every variant of every name, flattened
    offsets: IntArray  # first variant of name i in ``latin``
    counts: IntArray
    variant_cdf: FloatArray  # (names, max variants), padded with 1.0
    draw_cdf: FloatArray

    @property
    def size(self) -> int:
        return len(self.offsets)

    def draw(self, rng: np.random.Generator, n: int, lo: int = 0, hi: int | None = None) -> IntArray:
        """Draw ``n`` name indices with popularity weights, restricted to names ``lo..hi``."""
        hi = self.size if hi is None else hi
        cdf = self.draw_cdf[lo:hi]
        base = self.draw_cdf[lo - 1] if lo > 0 else 0.0
        u = base + rng.random(n) * (cdf[-1] - base)
        idx: IntArray = np.searchsorted(cdf, u, side="right").astype(np.int64) + lo
        return np.minimum(idx, hi - 1)

    def spelling(self, names: IntArray, style: IntArray, salt: int, rng: np.random.Generator) -> IntArray:
        """Variant index per row: fixed per (style, name), e.g. an agent's habit, with some whim."""
        safe = np.maximum(names, 0)
        u = hash_unit(style, safe, salt)
        whim = rng.random(len(names)) < _WHIM_SHARE
        u[whim] = rng.random(int(whim.sum()))
        return self.variant_for(safe, u)

    def variant_for(self, names: IntArray, u: FloatArray) -> IntArray:
        cdf = self.variant_cdf[names]
        out: IntArray = (u[:, None] >= cdf).sum(axis=1).astype(np.int64)
        return np.minimum(out, self.counts[names] - 1)

    def latin_of(self, names: IntArray, variants: IntArray) -> pa.Array:
        """Latin strings; a negative name index gives null."""
        flat = self.offsets[np.maximum(names, 0)] + variants
        return pc.take(self.latin, pa.array(flat, mask=names < 0))

    def arabic_of(self, names: IntArray) -> pa.Array:
        return pc.take(self.arabic, pa.array(names, mask=names < 0))


def _build(groups: tuple[tuple[tuple[str, str], ...], ...], boost: dict[int, float]) -> NameTable:
    entries = tuple(e for g in groups for e in g)
    variants = [e[1].split("|") for e in entries]
    counts = np.array([len(v) for v in variants], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    width = int(counts.max())
    cdf = np.ones((len(entries), width))
    for i, count in enumerate(counts):
        # The first spelling dominates; later ones taper off.
        w = 1.0 / np.arange(1, count + 1) ** 1.4
        cdf[i, :count] = np.cumsum(w) / w.sum()
    # Zipf-like popularity in list order, a few names much more frequent (Mohamed, Fatima...).
    ranks = np.concatenate([np.arange(len(g)) for g in groups])
    weights = 1.0 / (ranks + 4.0) ** 0.9
    for i, factor in boost.items():
        weights[i] *= factor
    return NameTable(
        arabic=pa.array([e[0] for e in entries], type=pa.string()),
        latin=pa.array([s for v in variants for s in v], type=pa.string()),
        offsets=offsets,
        counts=counts,
        variant_cdf=cdf,
        draw_cdf=np.cumsum(weights),
    )


@dataclass(frozen=True)
class Names:
    given: NameTable  # male names first, then female
    male_count: int
    family: NameTable

    def draw_given(self, rng: np.random.Generator, male: BoolArray) -> IntArray:
        n = len(male)
        out = self.given.draw(rng, n, self.male_count, None)
        m = np.flatnonzero(male)
        out[m] = self.given.draw(rng, len(m), 0, self.male_count)
        return out

    def draw_male(self, rng: np.random.Generator, n: int) -> IntArray:
        return self.given.draw(rng, n, 0, self.male_count)

    def draw_female(self, rng: np.random.Generator, n: int) -> IntArray:
        return self.given.draw(rng, n, self.male_count, None)


@cache
def names() -> Names:
    male_count = len(MALE_GIVEN)
    # Mohamed and Fatima (and Fatima Zahra) are far ahead of every other name in Morocco.
    boost = {0: 5.0, male_count: 3.0, male_count + 1: 1.5}
    return Names(
        given=_build((MALE_GIVEN, FEMALE_GIVEN), boost),
        male_count=male_count,
        family=_build((FAMILY,), {}),
    )
