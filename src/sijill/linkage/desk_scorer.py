"""Scoring one new record against its candidates with the model the last register run trained.

At the registration desk there is no batch to run: the candidates come from the register's own
indexed blocks (`population.candidates`, which search the whole register), and each is scored
here with the trained model's levels, compiled once per run into one DuckDB query of CASE
expressions. The conditions are the model's own SQL, so a pair gets the level it would get in a
run; the weights are each level's log2(m/u). Term-frequency adjustments are not applied at the
desk (they need the register's name counts): a common name weighs here what an average one does,
which makes the desk a little more cautious with rare names than a run, never less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import duckdb
import polars as pl
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from sijill.linkage.features import FEATURE_COLUMNS
from sijill.linkage.models import DedupRun


@dataclass(frozen=True)
class CompiledModel:
    run_id: int
    threshold: float
    prior: float  # log2 of the odds that two random register records are one person
    sql: str  # over a table "pairs" with every feature column suffixed _l and _r
    comparisons: tuple[str, ...]


def _level_weight(level: dict[str, Any]) -> float:
    m, u = level.get("m_probability"), level.get("u_probability")
    if not isinstance(m, float | int) or not isinstance(u, float | int) or m <= 0 or u <= 0:
        return 0.0
    return math.log2(float(m) / float(u))


def compile_model(run_id: int, threshold: float, model: dict[str, Any]) -> CompiledModel:
    """The model's comparisons as weight expressions (the null level weighs nothing)."""
    cases, names = [], []
    for comparison in model["comparisons"]:
        name = str(comparison["output_column_name"])
        branches = []
        for level in comparison["comparison_levels"]:
            weight = 0.0 if level.get("is_null_level") else _level_weight(level)
            if level["sql_condition"].strip().upper() == "ELSE":
                branches.append(f"ELSE {weight!r}")
            else:
                branches.append(f"WHEN {level['sql_condition']} THEN {weight!r}")
        if not branches[-1].startswith("ELSE"):
            branches.append("ELSE 0.0")
        cases.append(f'CASE {" ".join(branches)} END AS "w_{name}"')
        names.append(name)
    probability = float(model["probability_two_random_records_match"])
    sql = f"SELECT unique_id_r AS unique_id, {', '.join(cases)} FROM pairs"  # noqa: S608 (the model's own SQL)
    return CompiledModel(run_id, threshold, math.log2(probability / (1 - probability)), sql, tuple(names))


_RUNS = cast(Table, DedupRun.__table__)
# Built once: every registration runs it.
_LATEST_NATIONAL_RUN = (
    select(_RUNS.c.id, _RUNS.c.threshold).where(_RUNS.c.scope_code.is_(None)).order_by(_RUNS.c.id.desc()).limit(1)
)
# Compiled models by (run, threshold): a run's model never changes, so it is read and compiled once.
_COMPILED: dict[tuple[int, float], CompiledModel] = {}


def current_model(session: Session) -> CompiledModel | None:
    """The model of the latest national run, if there has been one."""
    row = session.connection().execute(_LATEST_NATIONAL_RUN).first()
    if row is None:
        return None
    key = (int(row[0]), float(row[1]))
    if key not in _COMPILED:
        model = session.execute(select(DedupRun.model).where(DedupRun.id == key[0])).scalar_one()
        _COMPILED.clear()  # only the latest run's model is used
        _COMPILED[key] = compile_model(key[0], key[1], model)
    return _COMPILED[key]


def score(model: CompiledModel, record: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """unique_id, match_weight, match_probability and w_* per candidate, from feature rows."""
    if candidates.is_empty():
        return pl.DataFrame(
            schema={"unique_id": pl.String, "match_weight": pl.Float64, "match_probability": pl.Float64}
        )
    left = record.select(pl.col(c).alias(f"{c}_l") for c in FEATURE_COLUMNS)
    right = candidates.select(pl.col(c).alias(f"{c}_r") for c in FEATURE_COLUMNS)
    pairs = left.join(right, how="cross")
    connection = duckdb.connect()
    try:
        connection.register("pairs", pairs.to_arrow())
        weights = pl.from_arrow(connection.sql(model.sql).to_arrow_table())
    finally:
        connection.close()
    assert isinstance(weights, pl.DataFrame)
    total = pl.sum_horizontal([f"w_{name}" for name in model.comparisons]) + model.prior
    return weights.with_columns(total.alias("match_weight")).with_columns(
        (1 / (1 + (-pl.col("match_weight") * math.log(2)).exp())).alias("match_probability")
    )
