"""The index variables of households, from their answers and their members, as one Polars plan.

The same function serves one declaration online and every household of a national load, so a
variable is computed the same way wherever it is used (DESIGN.md, "set-based, not row-by-row").

Inputs:
- ``answers``: one row per household, ``key`` plus the form's answers (categories as text);
- ``members``: one row per member, ``key``, ``is_declarant``, ``sex``, ``age`` (completed years at the
  declaration) and the questionnaire's member fields.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from sijill.scoring.questionnaire import Count, Highest, OfDeclarant, Questionnaire, Ratio

KEY = "key"


def _age_between(age: tuple[int, int | None] | None) -> pl.Expr:
    if age is None:
        # A column, not a literal: a literal would count once per household, not once per member.
        return pl.col(KEY).is_not_null()
    low, high = age
    condition = pl.col("age") >= low
    return condition if high is None else condition & (pl.col("age") <= high)


def _member_aggregate(name: str, derive: Count | OfDeclarant | Highest, questionnaire: Questionnaire) -> pl.Expr:
    if isinstance(derive, Count):
        condition = _age_between(derive.age)
        for field, values in derive.conditions:
            condition = condition & pl.col(field).is_in(list(values))
        return condition.fill_null(False).sum().cast(pl.Int64).alias(name)
    if isinstance(derive, OfDeclarant):
        return pl.col(derive.field).filter(pl.col("is_declarant")).first().alias(name)
    categories = list(questionnaire.member_fields[derive.field].categories)
    ranks = pl.col(derive.field).cast(pl.Enum(categories), strict=False).to_physical()
    best = ranks.filter(_age_between(derive.age)).max()
    return pl.lit(pl.Series(categories)).gather(best).first().alias(name)


def derive_features(answers: pl.DataFrame, members: pl.DataFrame, questionnaire: Questionnaire) -> pl.DataFrame:
    """`answers` joined with every computed variable; categories stay text (see `as_model_input`)."""
    derived = [q for q in questionnaire.variables.values() if q.derive is not None]
    aggregates = [
        _member_aggregate(q.name, q.derive, questionnaire)
        for q in derived
        if q.derive is not None and not isinstance(q.derive, Ratio)
    ]
    per_household = members.group_by(KEY).agg(aggregates) if aggregates else members.select(KEY).unique()
    frame = answers.join(per_household, on=KEY, how="left")
    counts = [q.name for q in derived if isinstance(q.derive, Count)]
    frame = frame.with_columns(pl.col(counts).fill_null(0))
    ratios = [
        (pl.col(q.derive.numerator).cast(pl.Float64) / pl.col(q.derive.denominator)).alias(q.name)
        for q in derived
        if isinstance(q.derive, Ratio)
    ]
    return frame.with_columns(ratios) if ratios else frame


def as_model_input(features: pl.DataFrame, questionnaire: Questionnaire) -> pl.DataFrame:
    """Cast each variable to its questionnaire type (categories to Enum) for the compiled models."""
    casts = [
        pl.col(q.name).cast(q.dtype(), strict=False) for q in questionnaire.variables.values() if q.name in features
    ]
    return features.with_columns(casts)


def features_of_one(
    answers: dict[str, Any], members: list[dict[str, Any]], questionnaire: Questionnaire
) -> dict[str, Any]:
    """The answers and computed variables of one household, through the same plan as the batch."""
    answer_frame = pl.DataFrame([{KEY: 0, **answers}], infer_schema_length=None)
    member_frame = pl.DataFrame([{KEY: 0, **m} for m in members], infer_schema_length=None)
    derived = derive_features(answer_frame, member_frame, questionnaire)
    row = derived.row(0, named=True)
    del row[KEY]
    return row
