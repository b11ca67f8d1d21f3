"""The statistics the detectors share."""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import binom


def binomial_tail(successes: pl.Series, trials: pl.Series, rate: pl.Series) -> pl.Series:
    """P(X >= successes) for X ~ Binomial(trials, rate), element-wise; null where the rate is null
    (no one to compare with: no test). Exact, since the counts the detectors test are small."""
    k = successes.cast(pl.Int64).to_numpy()
    n = trials.cast(pl.Int64).to_numpy()
    p = rate.cast(pl.Float64).to_numpy(allow_copy=True)
    tail = binom.sf(k - 1, n, np.clip(np.nan_to_num(p, nan=0.0), 0.0, 1.0))
    return pl.Series(np.where(np.isnan(p), np.nan, tail), dtype=pl.Float64).fill_nan(None)
