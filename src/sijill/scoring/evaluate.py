"""How well an index targets: errors at each programme threshold, and how much scores move.

With the true log consumption of a survey: the *exclusion error* is the share of the truly poor
(true value at or below the threshold) whom the index leaves out; the *inclusion error* is the share
of those the index selects who are not truly poor; *poorest-quintile coverage* is the share of the
poorest fifth (by true consumption per person) whom the index selects. All are counts of households.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sijill.scoring.thresholds import Threshold


@dataclass(frozen=True)
class Accuracy:
    programme: str
    threshold: float
    households: int
    truly_eligible: float
    selected: float
    exclusion_error: float
    inclusion_error: float
    poorest_quintile_coverage: float


@dataclass(frozen=True)
class Volatility:
    households: int
    mean_absolute_change: float
    share_changed_over_0_1: float
    # Per programme: households entering and leaving eligibility between the two sets of scores.
    entering: dict[str, int]
    leaving: dict[str, int]


def _share(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def accuracy(scores: pl.Series, truth: pl.Series, thresholds: list[Threshold]) -> tuple[float, list[Accuracy]]:
    """Correlation of the index with the truth, and the errors at each threshold."""
    frame = pl.DataFrame({"score": scores, "truth": truth}).drop_nulls()
    score = frame.get_column("score").to_numpy()
    true = frame.get_column("truth").to_numpy()
    n = len(score)
    correlation = round(float(np.corrcoef(score, true)[0, 1]), 4) if n > 1 else 0.0
    poorest = true <= np.quantile(true, 0.2) if n else np.zeros(0, dtype=bool)
    results = []
    for threshold in thresholds:
        selected = score <= threshold.at_most
        eligible = true <= threshold.at_most
        results.append(
            Accuracy(
                programme=threshold.programme,
                threshold=threshold.at_most,
                households=n,
                truly_eligible=_share(int(eligible.sum()), n),
                selected=_share(int(selected.sum()), n),
                exclusion_error=_share(int((eligible & ~selected).sum()), int(eligible.sum())),
                inclusion_error=_share(int((selected & ~eligible).sum()), int(selected.sum())),
                poorest_quintile_coverage=_share(int((poorest & selected).sum()), int(poorest.sum())),
            )
        )
    return correlation, results


def volatility(before: pl.Series, after: pl.Series, thresholds: list[Threshold]) -> Volatility:
    frame = pl.DataFrame({"a": before, "b": after}).drop_nulls()
    a = frame.get_column("a").to_numpy()
    b = frame.get_column("b").to_numpy()
    change = np.abs(b - a)
    entering = {t.programme: int(((a > t.at_most) & (b <= t.at_most)).sum()) for t in thresholds}
    leaving = {t.programme: int(((a <= t.at_most) & (b > t.at_most)).sum()) for t in thresholds}
    return Volatility(
        households=len(a),
        mean_absolute_change=round(float(change.mean()), 4) if len(a) else 0.0,
        share_changed_over_0_1=_share(int((change > 0.1).sum()), len(a)),
        entering=entering,
        leaving=leaving,
    )
