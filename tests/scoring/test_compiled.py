"""The compiled model: one household online and many in batch give the same score."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.scoring.compiled import REGION, CompiledModel
from sijill.scoring.derive import as_model_input
from sijill.scoring.model import IndexModel


@pytest.fixture(scope="module")
def prepared(survey: pl.DataFrame, shipped_model: IndexModel) -> tuple[CompiledModel, pl.DataFrame]:
    compiled = CompiledModel(shipped_model)
    frame = as_model_input(survey, shipped_model.questionnaire).with_columns(pl.col(REGION).cast(compiled.region_dtype))
    return compiled, frame


def _by_hand(model: IndexModel, row: dict[str, object]) -> float:
    sub = model.submodels[str(row["milieu"])]
    total = sub.intercept + sub.regional[str(row["region"])]
    for term in sub.terms:
        value = row[term.variable]
        if term.coefficients is not None:
            total += term.coefficients[str(value)]
            continue
        number = float(value)  # type: ignore[arg-type]
        for transform in term.transforms:
            if transform == "per_capita":
                number /= float(row["household_size"])  # type: ignore[arg-type]
            elif transform == "log":
                number = math.log(number)
            else:
                number = math.log1p(number)
        assert term.coefficient is not None
        total += term.coefficient * number
    return total


def test_score_is_the_formula_written_by_hand(prepared: tuple[CompiledModel, pl.DataFrame]) -> None:
    compiled, frame = prepared
    scores = compiled.score(frame.head(50))
    for index, row in enumerate(frame.head(50).iter_rows(named=True)):
        assert scores[index] == pytest.approx(_by_hand(compiled.model, row), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_explanation_adds_up_and_matches_the_batch(
    prepared: tuple[CompiledModel, pl.DataFrame], data: st.DataObject
) -> None:
    compiled, frame = prepared
    index = data.draw(st.integers(0, frame.height - 1))
    batch = compiled.score(frame)
    explanation = compiled.explain(frame.slice(index, 1))
    parts = explanation.intercept + explanation.regional + sum(c.contribution for c in explanation.contributions)
    assert explanation.score == pytest.approx(parts, abs=1e-9)
    assert explanation.score == pytest.approx(batch[index], abs=1e-9)
    milieu = frame.get_column("milieu")[index]
    assert len(explanation.contributions) == len(compiled.model.submodels[milieu].terms)


def test_batch_keeps_row_order_across_milieus(prepared: tuple[CompiledModel, pl.DataFrame]) -> None:
    compiled, frame = prepared
    mixed = frame.head(400)
    assert mixed.get_column("milieu").n_unique() == 2
    scores = compiled.score(mixed)
    for milieu in ("urban", "rural"):
        rows = mixed.with_row_index("i").filter(pl.col("milieu") == milieu)
        alone = compiled.score_milieu(rows, milieu)
        assert scores.gather(rows.get_column("i")).to_list() == pytest.approx(alone.to_list())


def test_a_missing_answer_gives_no_score_not_a_wrong_one(prepared: tuple[CompiledModel, pl.DataFrame]) -> None:
    compiled, frame = prepared
    rows = frame.head(3).with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col("spend_phone")).alias("spend_phone")
    )
    scores = compiled.score(rows)
    assert scores[1] is None
    assert scores[0] is not None and scores[2] is not None


def test_unknown_milieu_is_an_error(prepared: tuple[CompiledModel, pl.DataFrame]) -> None:
    compiled, frame = prepared
    with pytest.raises(ValueError, match="milieu"):
        compiled.score(frame.head(2).with_columns(pl.lit("desert").alias("milieu")))
