"""Random streams and small vectorised helpers shared by the generator modules."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Stream(IntEnum):
    """One independent random stream per concern, so that changing one module's draws leaves the
    others' output unchanged for the same seed."""

    TERRITORY = 1
    HOUSEHOLDS = 2
    MEMBERS = 3
    NAMES = 4
    ATTRIBUTES = 5
    SPLITTING = 6
    DATES = 7
    ANSWERS = 8
    REGISTRIES = 9
    DUPLICATES = 10
    AGENT_ERRORS = 11
    ADDRESSES = 12
    MARITAL = 13


def chunk_rng(seed: int, chunk_index: int, stream: Stream) -> np.random.Generator:
    return np.random.default_rng([seed, chunk_index, int(stream)])


def mix64(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64 finaliser: a cheap stateless hash so that "agent A spells name N" is a fixed choice."""
    z = values.astype(np.uint64, copy=True)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def hash_unit(a: IntArray, b: IntArray, salt: int) -> FloatArray:
    """Deterministic value in [0, 1) for each pair (a, b)."""
    salted = np.uint64((salt * 0xD1B54A32D192ED03) & 0xFFFFFFFFFFFFFFFF)
    key = (a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (b.astype(np.uint64) + salted)
    return (mix64(key) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def categorical(rng: np.random.Generator, probs: npt.NDArray[np.floating[Any]]) -> IntArray:
    """One draw per row from a row-wise probability matrix (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1, dtype=np.float32)
    u = (rng.random(probs.shape[0]) * cum[:, -1]).astype(np.float32)
    drawn: IntArray = (u[:, None] >= cum).sum(axis=1, dtype=np.int64)
    out: IntArray = np.minimum(drawn, probs.shape[1] - 1)
    return out


def rank_within(groups: IntArray, flags: BoolArray) -> IntArray:
    """0-based rank of each flagged row among the flagged rows of its group; groups must be sorted."""
    csum = np.cumsum(flags.astype(np.int64))
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    run_id = np.cumsum(np.r_[False, groups[1:] != groups[:-1]])
    before = (csum - flags)[starts]
    out: IntArray = (csum - flags - before[run_id]).astype(np.int64)
    return out


def largest_remainder(total: int, weights: FloatArray) -> IntArray:
    """Integer split of ``total`` proportional to ``weights`` that sums exactly to ``total``."""
    share = weights / weights.sum() * total
    base: IntArray = np.floor(share).astype(np.int64)
    rest = int(total - base.sum())
    if rest > 0:
        order = np.argsort(-(share - base), kind="stable")
        base[order[:rest]] += 1
    return base


def sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out
