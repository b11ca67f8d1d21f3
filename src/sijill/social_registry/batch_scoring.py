"""`sijill score --all`: score every household's current declaration with one model, set-based.

Chunk by chunk of declaration ids, three plain range queries: the current declarations with their
variables (`current_forms`: packed vectors, read in binary), the scores those declarations already
have, and the corrections of those scores. Polars finds each household's index
before this run and what the model has already scored, the compiled model scores the rest, and the
scores and threshold events are written with COPY. Running it again scores only what is new.

Ranges rather than per-row lookups: a million households cost three range scans, not three
million index probes (measured on PostgreSQL: 1.3 s of probes per 250,000 households for the
previous score alone).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert, read_frame, table_of
from sijill.scoring.compiled import REGION, SCORE, CompiledModel
from sijill.scoring.model import IndexModel
from sijill.scoring.questionnaire import Question, Questionnaire
from sijill.social_registry.current_forms import current_declarations, read_current
from sijill.social_registry.models import Declaration, IndexScore, ScoreEvent
from sijill.social_registry.scores import thresholds

CHUNK_DECLARATIONS = 125_000
_SCORES: dict[str, pl.DataType] = {
    "declaration_id": pl.Int64(),
    "id": pl.Int64(),
    "model": pl.String(),
    "score": pl.Float64(),
}
_CORRECTIONS: dict[str, pl.DataType] = {"index_score_id": pl.Int64(), "id": pl.Int64(), "corrected_score": pl.Float64()}


@dataclass
class ScoreAllReport:
    model: str
    scored: int = 0
    events: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Chunk:
    declarations: pl.DataFrame
    scores: pl.DataFrame
    corrections: pl.DataFrame


def _variables(model: IndexModel) -> list[Question]:
    names = {t.variable for s in model.submodels.values() for t in s.terms} | {"household_size"}
    return [q for q in model.questionnaire.variables.values() if q.name in names]


def _scores_sql(first: int, last: int) -> str:
    return (
        "SELECT declaration_id, id, model, score FROM index_score "  # noqa: S608
        f"WHERE declaration_id BETWEEN {int(first)} AND {int(last)}"
    )


def _corrections_sql(first: int, last: int) -> str:
    return (
        "SELECT c.index_score_id, c.id, c.corrected_score FROM score_correction c "  # noqa: S608
        "JOIN index_score s ON s.id = c.index_score_id "
        f"WHERE s.declaration_id BETWEEN {int(first)} AND {int(last)}"
    )


@dataclass(frozen=True)
class _Reading:
    """What a chunk's queries need to know of the model."""

    questionnaire: Questionnaire
    variables: list[Question]
    regions: list[str]


def _read_chunk(connection: Connection, reading: _Reading, current: pl.DataFrame, first: int, last: int) -> _Chunk:
    return _Chunk(
        declarations=read_current(connection, current, reading.questionnaire, reading.variables, first, last),
        scores=read_frame(connection, _scores_sql(first, last), _SCORES),
        corrections=read_frame(connection, _corrections_sql(first, last), _CORRECTIONS),
    )


def _prepared(
    session: Session, reading: _Reading, ranges: list[tuple[int, int]], prepare: Callable[[_Chunk], _Scored]
) -> Iterator[_Scored]:
    """The chunks read and scored, in order. On PostgreSQL a second connection reads and a second
    thread scores the next chunk, in the same snapshot as the batch's transaction, while this one
    writes the current one: the database's reads and writes then run on both cores instead of
    taking turns, and the writer's connection is never idle while Python scores."""
    if session.get_bind().dialect.name != "postgresql" or len(ranges) < 2:
        current = current_declarations(session.connection(), reading.regions)
        for first, last in ranges:
            yield prepare(_read_chunk(session.connection(), reading, current, first, last))
        return
    snapshot = str(session.execute(text("SELECT pg_export_snapshot()")).scalar_one())
    if not re.fullmatch(r"[0-9A-F-]+", snapshot):
        raise RuntimeError("unexpected snapshot identifier")
    engine = session.get_bind().engine
    with engine.connect() as reader, ThreadPoolExecutor(max_workers=1) as pool:
        reader.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        reader.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        # Compiling the expressions costs more than it saves on a chunk.
        reader.exec_driver_sql("SET LOCAL jit = off")
        current = current_declarations(reader, reading.regions)

        def read_and_score(first: int, last: int) -> _Scored:
            return prepare(_read_chunk(reader, reading, current, first, last))

        pending = pool.submit(read_and_score, *ranges[0])
        for first, last in ranges[1:]:
            ready = pending.result()
            pending = pool.submit(read_and_score, first, last)
            yield ready
        yield pending.result()
        reader.rollback()


def _to_score(chunk: _Chunk, model_ref: str) -> pl.DataFrame:
    """Declarations the model has not scored yet, with the household's index before this run
    (the latest score of the declaration, or its latest correction)."""
    done = chunk.scores.filter(pl.col("model") == model_ref).select("declaration_id")
    corrected = chunk.corrections.sort("id").group_by("index_score_id").agg(pl.col("corrected_score").last())
    previous = (
        chunk.scores.sort("id")
        .group_by("declaration_id")
        .agg(pl.col("id").last(), pl.col("score").last())
        .join(corrected, left_on="id", right_on="index_score_id", how="left")
        .select("declaration_id", pl.coalesce("corrected_score", "score").alias("previous"))
    )
    return chunk.declarations.join(done, on="declaration_id", how="anti").join(
        previous, on="declaration_id", how="left"
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


@dataclass(frozen=True)
class _Scored:
    scores: pl.DataFrame
    events: pl.DataFrame


def _score_chunk(chunk: _Chunk, compiled: CompiledModel, by: str) -> _Scored:
    frame = _to_score(chunk, compiled.model.ref)
    typed = frame.with_columns(pl.col(REGION).cast(compiled.region_dtype))
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
    return _Scored(scores=rows, events=_events(scored, now))


def _write_chunk(session: Session, scored: _Scored, report: ScoreAllReport) -> None:
    bulk_insert(session, table_of(IndexScore), scored.scores.to_arrow())
    if scored.events.height:
        bulk_insert(session, table_of(ScoreEvent), scored.events.to_arrow())
        for programme, count in scored.events.get_column("programme").value_counts().iter_rows():
            report.events[programme] = report.events.get(programme, 0) + count
    report.scored += scored.scores.height


def score_all(
    *,
    session: Session,
    actor: Actor,
    model: IndexModel,
    progress: Callable[[int, int], None] | None = None,
    chunk_declarations: int = CHUNK_DECLARATIONS,
) -> ScoreAllReport:
    actor.require(Permission.HOUSEHOLD_WRITE)
    compiled = CompiledModel(model)
    reading = _Reading(model.questionnaire, _variables(model), list(compiled.region_dtype.categories))
    low, high = session.execute(select(func.min(Declaration.id), func.max(Declaration.id))).one()
    report = ScoreAllReport(model=model.ref)
    if low is None:
        return report
    ranges = [(first, min(first + chunk_declarations - 1, high)) for first in range(low, high + 1, chunk_declarations)]
    chunks = _prepared(session, reading, ranges, lambda chunk: _score_chunk(chunk, compiled, actor.username))
    for (_, last), scored in zip(ranges, chunks, strict=True):
        _write_chunk(session, scored, report)
        if progress is not None:
            progress(last - low + 1, high - low + 1)
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
