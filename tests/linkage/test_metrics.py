"""Pairwise, B-cubed and blocking metrics, on clusterings small enough to count by hand."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.linkage.metrics import b_cubed, blocking, pairs_scores, pairwise


def _clusters(assignment: dict[str, str], column: str) -> pl.DataFrame:
    return pl.DataFrame({"record_id": list(assignment), column: list(assignment.values())})


TRUTH = _clusters({"a": "1", "b": "1", "c": "1", "d": "2", "e": "3"}, "true_id")


def test_hand_counted_pairwise_and_b_cubed() -> None:
    predicted = _clusters({"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}, "cluster_id")
    scores = pairwise(predicted, TRUTH)
    # Predicted pairs ab, cd; true pairs ab, ac, bc: one right of two made, of three to find.
    assert scores.precision == pytest.approx(1 / 2) and scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(0.4)
    cubed = b_cubed(predicted, TRUTH)
    # Precision per record: a 1, b 1, c 1/2, d 1/2, e 1; recall: a 2/3, b 2/3, c 1/3, d 1, e 1.
    assert cubed.precision == pytest.approx((1 + 1 + 0.5 + 0.5 + 1) / 5)
    assert cubed.recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)


def test_records_without_a_predicted_cluster_are_singletons() -> None:
    predicted = _clusters({"a": "x", "b": "x"}, "cluster_id")
    assert pairwise(predicted, TRUTH).precision == 1.0
    assert pairwise(predicted, TRUTH).recall == pytest.approx(1 / 3)


def test_predicting_nothing_is_precise_and_finds_nothing() -> None:
    empty = _clusters({}, "cluster_id").cast({"record_id": pl.String, "cluster_id": pl.String})
    scores = pairwise(empty, TRUTH)
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 0.0, 0.0)


def test_scored_pairs_and_blocking() -> None:
    pairs = pl.DataFrame({"record_id_l": ["a", "a", "d"], "record_id_r": ["b", "e", "e"]})
    assert pairs_scores(pairs, TRUTH).precision == pytest.approx(1 / 3)
    blocked = blocking(pairs, TRUTH)
    assert blocked.true_pairs == 3 and blocked.candidate_pairs == 3
    assert blocked.recall == pytest.approx(1 / 3)
    assert blocked.reduction_ratio == pytest.approx(1 - 3 / 10)


labels = st.lists(st.sampled_from("pqrs"), min_size=2, max_size=12)


@settings(max_examples=80, deadline=None)
@given(truth_labels=labels, data=st.data())
def test_pairwise_counts_agree_with_listing_the_pairs(truth_labels: list[str], data: st.DataObject) -> None:
    predicted_labels = data.draw(
        st.lists(st.sampled_from("wxyz"), min_size=len(truth_labels), max_size=len(truth_labels))
    )
    ids = [str(i) for i in range(len(truth_labels))]
    truth = _clusters(dict(zip(ids, truth_labels, strict=True)), "true_id")
    predicted = _clusters(dict(zip(ids, predicted_labels, strict=True)), "cluster_id")
    made = {(a, b) for a, b in itertools.combinations(range(len(ids)), 2) if predicted_labels[a] == predicted_labels[b]}
    real = {(a, b) for a, b in itertools.combinations(range(len(ids)), 2) if truth_labels[a] == truth_labels[b]}
    scores = pairwise(predicted, truth)
    assert scores.precision == pytest.approx(len(made & real) / len(made) if made else 1.0)
    assert scores.recall == pytest.approx(len(made & real) / len(real) if real else 1.0)
    # A clustering scored against itself is perfect on every measure.
    perfect = pairwise(truth.rename({"true_id": "cluster_id"}), truth)
    assert (perfect.precision, perfect.recall) == (1.0, 1.0)
    assert b_cubed(truth.rename({"true_id": "cluster_id"}), truth).f1 == pytest.approx(1.0)
