"""Linkage quality against a ground truth: pairwise and cluster (B-cubed) metrics, and blocking.

Everything is counted from cluster sizes, never by listing pairs: a cluster of k records holds
k(k-1)/2 pairs, and the pairs two clusterings share are those inside each (predicted, true)
intersection. That keeps the evaluation of a million records as cheap as a group-by.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total


def _ratio(numerator: float, denominator: float) -> float:
    # Nothing predicted (or nothing to find) is perfect on that side: no wrong pair was made.
    return 1.0 if denominator == 0 else numerator / denominator


def _pairs_in(sizes: pl.Series) -> int:
    return int((sizes.cast(pl.Int64) * (sizes.cast(pl.Int64) - 1) // 2).sum())


def _joined(predicted: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """record_id, cluster_id, true_id for every record of ``truth`` (singletons where unpredicted)."""
    joined = truth.select("record_id", "true_id").join(
        predicted.select("record_id", "cluster_id"), on="record_id", how="left"
    )
    return joined.with_columns(pl.coalesce(pl.col("cluster_id").cast(pl.String), "record_id").alias("cluster_id"))


def pairwise(predicted: pl.DataFrame, truth: pl.DataFrame) -> Scores:
    """Pairs in one predicted cluster that are in one true cluster, over all predicted / true pairs.

    ``predicted``: record_id, cluster_id; ``truth``: record_id, true_id (one row per record).
    """
    joined = _joined(predicted, truth)
    shared = _pairs_in(joined.group_by("cluster_id", "true_id").len()["len"])
    made = _pairs_in(joined.group_by("cluster_id").len()["len"])
    real = _pairs_in(joined.group_by("true_id").len()["len"])
    return Scores(_ratio(shared, made), _ratio(shared, real))


def b_cubed(predicted: pl.DataFrame, truth: pl.DataFrame) -> Scores:
    """Per record: the share of its predicted cluster that is truly it (precision) and the share
    of its true cluster that was found with it (recall), averaged over records."""
    joined = _joined(predicted, truth)
    counts = (
        joined.group_by("cluster_id", "true_id")
        .len("both")
        .with_columns(
            pl.col("both").sum().over("cluster_id").alias("in_predicted"),
            pl.col("both").sum().over("true_id").alias("in_true"),
        )
    )
    both = pl.col("both").cast(pl.Float64)
    shares = counts.select(
        ((both * both / pl.col("in_predicted")).sum() / both.sum()).alias("precision"),
        ((both * both / pl.col("in_true")).sum() / both.sum()).alias("recall"),
    ).row(0)
    return Scores(float(shares[0]), float(shares[1]))


def pairs_scores(pairs: pl.DataFrame, truth: pl.DataFrame) -> Scores:
    """Scored pairs (record_id_l, record_id_r) taken as links, against the true clusters."""
    true_of = truth.select("record_id", "true_id")
    labelled = pairs.join(true_of.rename({"record_id": "record_id_l", "true_id": "true_l"}), on="record_id_l").join(
        true_of.rename({"record_id": "record_id_r", "true_id": "true_r"}), on="record_id_r"
    )
    right = labelled.filter(pl.col("true_l") == pl.col("true_r")).height
    real = _pairs_in(truth.group_by("true_id").len()["len"])
    return Scores(_ratio(right, pairs.height), _ratio(right, real))


@dataclass(frozen=True)
class Blocking:
    candidate_pairs: int
    true_pairs: int
    recall: float
    reduction_ratio: float


def blocking(candidates: pl.DataFrame, truth: pl.DataFrame) -> Blocking:
    """How many true pairs the blocking rules let through, and how many of all pairs they avoid."""
    found = pairs_scores(candidates, truth)
    records = truth.height
    true_pairs = _pairs_in(truth.group_by("true_id").len()["len"])
    all_pairs = records * (records - 1) // 2
    return Blocking(
        candidate_pairs=candidates.height,
        true_pairs=true_pairs,
        recall=found.recall,
        reduction_ratio=1.0 - _ratio(candidates.height, all_pairs),
    )
