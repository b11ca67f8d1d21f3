"""`sijill score --all`: score every household's current declaration with one model, set-based.

Chunk by chunk of household ids: one query pulls the current declarations not yet scored by the
model, with their variables as typed columns (JSONB on PostgreSQL, json_extract on SQLite) and the
household's index before this run; the compiled model scores the chunk; the scores and the
threshold events are written with COPY. Running it again scores only what is new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert, read_frame, table_of
from sijill.ids import reserve_ids
from sijill.scoring.compiled import MILIEU, REGION, SCORE, CompiledModel
from sijill.scoring.derive import as_model_input
from sijill.scoring.model import IndexModel
from sijill.scoring.questionnaire import Question
from sijill.social_registry.models import Household, IndexScore, ScoreEvent
from sijill.social_registry.scores import thresholds

CHUNK_HOUSEHOLDS = 250_000
_SQL_TYPES = {"integer": "bigint", "number": "double precision", "boolean": "boolean", "category": "text"}
_FRAME_TYPES: dict[str, pl.DataType] = {
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "boolean": pl.Boolean(),
    "category": pl.String(),
}


@dataclass
class ScoreAllReport:
    model: str
    scored: int = 0
    events: dict[str, int] = field(default_factory=dict)


def _variables(model: IndexModel) -> list[Question]:
    names = {t.variable for s in model.submodels.values() for t in s.terms} | {"household_size"}
    return [q for q in model.questionnaire.variables.values() if q.name in names]


def _chunk_sql(dialect: str, variables: list[Question], model_ref: str, first: int, last: int) -> str:
    """Current declarations of households first..last not yet scored by the model (values are ours)."""
    if dialect == "postgresql":
        record = ", ".join(f'"{q.name}" {_SQL_TYPES[q.kind]}' for q in variables)
        pulled = ", ".join(f'v."{q.name}"' for q in variables)
        source = f"CROSS JOIN LATERAL jsonb_to_record(d.variables) AS v({record})"
    else:
        pulled = ", ".join(f"json_extract(d.variables, '$.{q.name}')" for q in variables)
        source = ""
    ids = f"BETWEEN {int(first)} AND {int(last)}"
    # Joins on grouped keys rather than correlated subqueries: one pass over each table's range.
    return (
        f"SELECT d.id, d.household_id, h.milieu, substr(h.annex_code, 1, 2), "  # noqa: S608
        f"coalesce(c.corrected_score, s.score), {pulled} "
        "FROM (SELECT household_id, max(number) AS number FROM declaration "
        f"WHERE household_id {ids} GROUP BY household_id) latest "
        "JOIN declaration d ON d.household_id = latest.household_id AND d.number = latest.number "
        f"JOIN household h ON h.id = d.household_id {source} "
        f"LEFT JOIN (SELECT household_id, max(id) AS id FROM index_score WHERE household_id {ids} "
        "GROUP BY household_id) last_score ON last_score.household_id = d.household_id "
        "LEFT JOIN index_score s ON s.id = last_score.id "
        "LEFT JOIN (SELECT index_score_id, max(id) AS id FROM score_correction GROUP BY index_score_id) "
        "last_correction ON last_correction.index_score_id = s.id "
        "LEFT JOIN score_correction c ON c.id = last_correction.id "
        f"LEFT JOIN index_score done ON done.declaration_id = d.id AND done.model = '{model_ref}' "
        "WHERE h.status = 'active' AND done.id IS NULL"
    )


def _events(scored: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """One row per household and programme whose threshold the new score crosses."""
    parts = []
    for threshold in thresholds():
        limit = threshold.at_most
        was = pl.col("previous").is_not_null() & (pl.col("previous") <= limit)
        within = pl.col(SCORE) <= limit
        parts.append(
            scored.filter(was != within).select(
                "household_id",
                pl.lit(threshold.programme).alias("programme"),
                pl.lit(limit).alias("threshold"),
                pl.col("previous").alias("previous_score"),
                pl.col(SCORE).alias("new_score"),
                pl.when(within).then(pl.lit("entered")).otherwise(pl.lit("left")).alias("direction"),
                pl.lit("model").alias("cause"),
                pl.lit(now).alias("created_at"),
            )
        )
    return pl.concat(parts)


def score_all(
    *,
    session: Session,
    actor: Actor,
    model: IndexModel,
    progress: Callable[[int, int], None] | None = None,
    chunk_households: int = CHUNK_HOUSEHOLDS,
) -> ScoreAllReport:
    actor.require(Permission.HOUSEHOLD_WRITE)
    compiled = CompiledModel(model)
    variables = _variables(model)
    schema: dict[str, pl.DataType] = {
        "declaration_id": pl.Int64(),
        "household_id": pl.Int64(),
        MILIEU: pl.String(),
        REGION: pl.String(),
        "previous": pl.Float64(),
        **{q.name: _FRAME_TYPES[q.kind] for q in variables},
    }
    low, high = session.execute(select(func.min(Household.id), func.max(Household.id))).one()
    report = ScoreAllReport(model=model.ref)
    if low is None:
        return report
    dialect = session.get_bind().dialect.name
    total = high - low + 1
    for first in range(low, high + 1, chunk_households):
        last = min(first + chunk_households - 1, high)
        frame = read_frame(session, _chunk_sql(dialect, variables, model.ref, first, last), schema)
        if frame.height:
            typed = as_model_input(frame, model.questionnaire).with_columns(pl.col(REGION).cast(compiled.region_dtype))
            now = datetime.now(UTC)
            scored = frame.select("declaration_id", "household_id", "previous").with_columns(
                compiled.score(typed).round(7)
            )
            ids = reserve_ids(session, table_of(IndexScore), scored.height)
            rows = scored.select(
                pl.Series("id", ids),
                "declaration_id",
                "household_id",
                pl.lit(model.ref).alias("model"),
                SCORE,
                pl.lit(now).alias("calculated_at"),
                pl.lit(actor.username).alias("calculated_by"),
            )
            bulk_insert(session, table_of(IndexScore), rows.filter(pl.col(SCORE).is_not_null()).to_arrow())
            events = _events(scored.filter(pl.col(SCORE).is_not_null()), now)
            if events.height:
                event_ids = reserve_ids(session, table_of(ScoreEvent), events.height)
                bulk_insert(session, table_of(ScoreEvent), events.with_columns(pl.Series("id", event_ids)).to_arrow())
                for programme, count in events.get_column("programme").value_counts().iter_rows():
                    report.events[programme] = report.events.get(programme, 0) + count
            report.scored += int(scored.get_column(SCORE).is_not_null().sum())
        if progress is not None:
            progress(last - low + 1, total)
    audit.record(
        session,
        actor,
        "score.all",
        "index_score",
        None,
        None,
        {"model": model.ref, "scored": report.scored, "events": report.events},
    )
    return report
