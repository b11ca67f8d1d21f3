"""`sijill score --all`: score every household's current declaration with one model, set-based.

Chunk by chunk of household ids: one query pulls the current declarations not yet scored by the
model, with their variables as typed columns (JSONB on PostgreSQL, json_extract on SQLite) and the
household's index before this run; the compiled model scores the chunk; the scores and the
threshold events are written with COPY. Running it again scores only what is new.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert, read_frame, table_of
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
        # One `->>` and a cast per variable: twice as fast as jsonb_to_record, which goes through
        # a record type for every row.
        pulled = ", ".join(f"(f.variables->>'{q.name}')::{_SQL_TYPES[q.kind]}" for q in variables)
    else:
        pulled = ", ".join(f"json_extract(f.variables, '$.{q.name}')" for q in variables)
    # The latest score of the declaration (any model) and its latest correction: the index the
    # household has before this run, against which threshold crossings are found.
    return (
        f"SELECT d.id, d.household_id, h.milieu, substr(h.annex_code, 1, 2), "  # noqa: S608
        f"coalesce(c.corrected_score, s.score), {pulled} "
        "FROM (SELECT household_id, max(number) AS number FROM declaration "
        f"WHERE household_id BETWEEN {int(first)} AND {int(last)} GROUP BY household_id) latest "
        "JOIN declaration d ON d.household_id = latest.household_id AND d.number = latest.number "
        "JOIN declaration_form f ON f.declaration_id = d.id JOIN household h ON h.id = d.household_id "
        "LEFT JOIN index_score s ON s.id = (SELECT max(s2.id) FROM index_score s2 WHERE s2.declaration_id = d.id) "
        "LEFT JOIN score_correction c ON c.id = "
        "(SELECT max(c2.id) FROM score_correction c2 WHERE c2.index_score_id = s.id) "
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


def _chunks(session: Session, sqls: list[str], schema: dict[str, pl.DataType]) -> Iterator[pl.DataFrame]:
    """The chunks' rows, in order. On PostgreSQL a second connection reads the next chunk, in the
    same snapshot as the batch's transaction, while this one scores and writes the current one:
    the database's two halves of the work then run on both cores instead of taking turns."""
    if session.get_bind().dialect.name != "postgresql" or len(sqls) < 2:
        for sql in sqls:
            yield read_frame(session.connection(), sql, schema)
        return
    snapshot = str(session.execute(text("SELECT pg_export_snapshot()")).scalar_one())
    if not re.fullmatch(r"[0-9A-F-]+", snapshot):
        raise RuntimeError("unexpected snapshot identifier")
    engine = session.get_bind().engine
    with engine.connect() as reader, ThreadPoolExecutor(max_workers=1) as pool:
        reader.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        reader.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        pending = pool.submit(read_frame, reader, sqls[0], schema)
        for sql in sqls[1:]:
            frame = pending.result()
            pending = pool.submit(read_frame, reader, sql, schema)
            yield frame
        yield pending.result()
        reader.rollback()


def _write_chunk(
    session: Session, frame: pl.DataFrame, compiled: CompiledModel, by: str, report: ScoreAllReport
) -> None:
    typed = as_model_input(frame, compiled.model.questionnaire).with_columns(pl.col(REGION).cast(compiled.region_dtype))
    now = datetime.now(UTC)
    scored = (
        frame.select("declaration_id", "household_id", "previous")
        .with_columns(compiled.score(typed).round(7))
        .filter(pl.col(SCORE).is_not_null())
    )
    # Ids come from the tables' own defaults (sequence, rowid): nothing here needs them.
    rows = scored.select(
        "declaration_id",
        pl.lit(compiled.model.ref).alias("model"),
        SCORE,
        pl.lit(now).alias("calculated_at"),
        pl.lit(by).alias("calculated_by"),
    )
    bulk_insert(session, table_of(IndexScore), rows.to_arrow())
    events = _events(scored, now)
    if events.height:
        bulk_insert(session, table_of(ScoreEvent), events.to_arrow())
        for programme, count in events.get_column("programme").value_counts().iter_rows():
            report.events[programme] = report.events.get(programme, 0) + count
    report.scored += scored.height


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
    starts = list(range(low, high + 1, chunk_households))
    sqls = [
        _chunk_sql(dialect, variables, model.ref, first, min(first + chunk_households - 1, high)) for first in starts
    ]
    for first, frame in zip(starts, _chunks(session, sqls, schema), strict=True):
        if frame.height:
            _write_chunk(session, frame, compiled, actor.username, report)
        if progress is not None:
            progress(min(first + chunk_households - 1, high) - low + 1, high - low + 1)
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
