"""Households of a chunk: where they live, how many they are, and their latent consumption."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sijill.synth.rng import BoolArray, FloatArray, IntArray, hash_unit
from sijill.synth.territory_gen import TerritoryPlan

MAX_SIZE = 15
# One-person shares and mean sizes are the 2024 census figures (urban 3.7, rural 4.4, 11.1% alone
# overall); the larger sizes follow an over-dispersed (negative binomial) tail.
URBAN_ALONE, URBAN_MEAN = 0.125, 3.7
RURAL_ALONE, RURAL_MEAN = 0.08, 4.4
# Latent log of yearly consumption per person: roughly HCP's urban/rural gap; 9.33 (AMO Tadamon
# threshold) then catches about a third of rural and a tenth of urban households.
URBAN_LOG_MEAN, RURAL_LOG_MEAN, LOG_SD = 10.1, 9.45, 0.5
SIZE_GRADIENT = 0.09


def size_pmf(alone: float, mean: float, dispersion: float = 5.0) -> FloatArray:
    lam = (mean - alone) / (1 - alone) - 2.0
    q = lam / (dispersion + lam)
    ks = np.arange(MAX_SIZE - 1)
    logp = (
        np.array([math.lgamma(k + dispersion) - math.lgamma(k + 1) - math.lgamma(dispersion) for k in ks])
        + dispersion * math.log(1 - q)
        + ks * math.log(q)
    )
    tail = np.exp(logp)
    tail = tail / tail.sum() * (1 - alone)
    return np.concatenate([[alone], tail])


_PMF = {True: size_pmf(URBAN_ALONE, URBAN_MEAN), False: size_pmf(RURAL_ALONE, RURAL_MEAN)}


@dataclass
class Households:
    annex: IntArray  # global annex index
    urban: BoolArray
    size: IntArray
    log_consumption: FloatArray
    origin: IntArray  # for households split off another one: local index of the origin, else -1

    def __len__(self) -> int:
        return len(self.size)


def _sizes_for(rng: np.random.Generator, total: int, urban: bool) -> IntArray:
    """Household sizes summing exactly to ``total``: the last household is trimmed."""
    pmf = _PMF[urban]
    mean = float((np.arange(1, MAX_SIZE + 1) * pmf).sum())
    sizes = np.empty(0, dtype=np.int64)
    while int(sizes.sum()) < total:
        n = int((total - sizes.sum()) / mean * 1.05) + 16
        sizes = np.concatenate([sizes, rng.choice(MAX_SIZE, n, p=pmf).astype(np.int64) + 1])
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, total))
    sizes = sizes[: k + 1]
    sizes[-1] -= int(cum[k]) - total
    return sizes


def draw_households(rng: np.random.Generator, plan: TerritoryPlan, lo: int, hi: int) -> Households:
    annexes = np.arange(lo, hi, dtype=np.int64)
    parts_annex: list[IntArray] = []
    parts_size: list[IntArray] = []
    for urban in (True, False):
        mine = annexes[plan.annex_urban[lo:hi] == urban]
        if len(mine) == 0:
            continue
        targets = plan.annex_target[mine]
        sizes = _sizes_for(rng, int(targets.sum()), urban)
        start = np.cumsum(sizes) - sizes
        # A household belongs to the annex whose planned persons cover its first member.
        where = np.searchsorted(np.cumsum(targets), start, side="right")
        parts_annex.append(mine[where])
        parts_size.append(sizes)
    annex = np.concatenate(parts_annex)
    size = np.concatenate(parts_size)
    order = np.argsort(annex, kind="stable")
    annex, size = annex[order], size[order]
    urban_hh = plan.annex_urban[annex]

    province = plan.annex_province[annex]
    # Fixed local effects (a province or annex is richer or poorer than average whatever the seed).
    local = 0.24 * (hash_unit(province, province, 11) - 0.5) + 0.16 * (hash_unit(annex, annex, 12) - 0.5)
    mean_size = np.where(urban_hh, URBAN_MEAN, RURAL_MEAN)
    log_c = (
        np.where(urban_hh, URBAN_LOG_MEAN, RURAL_LOG_MEAN)
        + local
        - SIZE_GRADIENT * (size - mean_size)
        + rng.normal(0.0, LOG_SD, len(size))
    )
    return Households(
        annex=annex,
        urban=urban_hh,
        size=size,
        log_consumption=log_c,
        origin=np.full(len(size), -1, dtype=np.int64),
    )
