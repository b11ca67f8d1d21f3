"""The packed variable vector: what goes in comes back out, typed; nothing is silently lost."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.scoring.packed import matrix_of, pack, pack_one, unpack, width
from sijill.scoring.questionnaire import MILIEUS, Question, Questionnaire, shipped_questionnaires

QUESTIONNAIRE = shipped_questionnaires()["rsu-questionnaire@2026.1"]


def _value(question: Question) -> st.SearchStrategy[Any]:
    if question.kind == "category":
        value: st.SearchStrategy[Any] = st.sampled_from(question.categories)
    elif question.kind == "boolean":
        value = st.booleans()
    elif question.kind == "integer":
        value = st.integers(min_value=-(2**40), max_value=2**40)
    else:
        value = st.floats(allow_nan=False, allow_infinity=True, width=64)
    return st.none() | value


def _row() -> st.SearchStrategy[dict[str, Any]]:
    fields = {q.name: _value(q) for q in QUESTIONNAIRE.variables.values()}
    return st.fixed_dictionaries({"milieu": st.sampled_from(MILIEUS), **fields})


def _frame(rows: list[dict[str, Any]], questionnaire: Questionnaire) -> pl.DataFrame:
    schema = {"milieu": pl.String(), **{q.name: q.dtype() for q in questionnaire.variables.values()}}
    return pl.DataFrame(rows, schema=schema, orient="row")


@settings(max_examples=60, deadline=None)
@given(st.lists(_row(), min_size=1, max_size=12))
def test_every_value_comes_back_with_its_type_and_unasked_questions_come_back_empty(
    rows: list[dict[str, Any]],
) -> None:
    vectors = pack(_frame(rows, QUESTIONNAIRE), QUESTIONNAIRE)
    assert vectors.dtype == pl.Binary and vectors.bin.size().to_list() == [width(QUESTIONNAIRE)] * len(rows)
    names = set(QUESTIONNAIRE.variables)
    back = unpack(matrix_of(b"".join(vectors.to_list()), len(rows), QUESTIONNAIRE), QUESTIONNAIRE, names)
    assert back.schema == {q.name: q.dtype() for q in QUESTIONNAIRE.variables.values()}
    for row, unpacked in zip(rows, back.iter_rows(named=True), strict=True):
        expected = {
            q.name: row[q.name] if row["milieu"] in q.milieus else None for q in QUESTIONNAIRE.variables.values()
        }
        assert unpacked == expected


def test_only_the_wanted_variables_are_unpacked_in_the_questionnaire_order() -> None:
    one = pack_one({"rooms": 3, "water": "well", "tv": True}, "rural", QUESTIONNAIRE)
    back = unpack(matrix_of(one, 1, QUESTIONNAIRE), QUESTIONNAIRE, {"tv", "water", "rooms", "car"})
    assert back.columns == [n for n in QUESTIONNAIRE.variables if n in {"tv", "water", "rooms", "car"}]
    assert back.row(0, named=True) == {"rooms": 3, "water": "well", "tv": True, "car": None}


def test_a_category_outside_the_list_is_refused_not_packed_as_missing() -> None:
    frame = pl.DataFrame({"milieu": ["urban", "urban"], "water": ["well", "lake"]})
    with pytest.raises(ValueError, match="variable water: 1 value"):
        pack(frame, QUESTIONNAIRE)


def test_vectors_of_another_width_are_refused() -> None:
    with pytest.raises(ValueError, match="bytes for 2 vectors"):
        matrix_of(bytes(width(QUESTIONNAIRE) * 2 - 8), 2, QUESTIONNAIRE)
