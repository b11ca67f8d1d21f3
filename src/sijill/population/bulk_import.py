"""Bulk import of register records: checked whole, then applied set-based in atomic chunks.

1. The whole file is read and every rule is checked, vectorised; any problem → an error file (row,
   field, value, rule, message in Arabic and French) and, unless the caller accepts partial
   imports, nothing is written.
2. Rows already imported from the same source are skipped (``person_source``): re-importing a file
   creates nothing new, and re-running after a crash resumes where the last committed chunk ended.
3. The duplicate check runs once in batch form over the rows still to import, against the
   register as it stands and within the file; rows with a strong candidate become registrations
   held for review, exactly as an online registration would.
4. The rows are applied in chunks, one transaction each: the others get an IDCS and are written
   with COPY (PostgreSQL) or through a scratch file (SQLite). A crash loses at most the chunk in
   progress; on the next run the rows already applied are register records, found again by the
   check. A load at least as large as the register (a first load) is applied in one transaction
   instead, staged while the duplicate check runs, its indexes and constraints rebuilt at the end
   (``bulk_apply``, ``sijill.bulk_mode``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.bulk import widen_sqlite_cache
from sijill.bulk_mode import rebuilt_after
from sijill.db import transaction
from sijill.population.batch_candidates import register_blocks, register_size, strong_pairs
from sijill.population.blocks import with_name_keys
from sijill.population.bulk_apply import apply_first_load, apply_in_chunks
from sijill.population.import_file import read_rows, shape
from sijill.population.models import PersonSource
from sijill.population.validation_batch import check_people
from sijill.table_files import rows_rejected
from sijill.territory.models import TerritoryUnit

# A load of at least this many times the register's size rebuilds the indexes afterwards
# (``sijill.bulk_mode``) instead of updating them row by row: first loads, mostly.
REBUILD_INDEXES_FROM = 1.0
# Referenced first (see ``rebuilt_after``). The source links also set their primary key aside:
# nothing points at it, and the lock keeps other writers out. The IDCS ledger is written the same
# way, once for the whole load (``idcs.issue_for_load``).
REBUILT_TABLES = ("person", "person_source")
REBUILT_PRIMARY_KEYS = ("person_source",)
ERROR_COLUMNS = ("row", "record_id", "field", "value", "rule", "message_ar", "message_fr", "fix_ar", "fix_fr")


@dataclass(frozen=True, slots=True)
class ImportReport:
    source: str
    rows: int
    invalid_rows: int
    already_imported: int
    created: int
    held_for_review: int
    seconds: float
    error_file: str | None


def _known_annexes(factory: sessionmaker[Session], actor: Actor) -> set[str]:
    with factory() as session:
        query = select(TerritoryUnit.code).where(TerritoryUnit.level == "annex", in_scope(actor, TerritoryUnit.code))
        return set(session.execute(query).scalars())


def _duplicate_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Problems for record ids used twice in the file (they make re-imports ambiguous)."""
    repeated = frame.filter(pl.col("record_id").is_duplicated() | pl.col("record_id").is_null())
    return repeated.select(
        pl.col("row").cast(pl.Int64),
        pl.lit("record_id").alias("field"),
        pl.col("record_id").fill_null("").alias("value"),
        pl.lit("record_id_unique").alias("rule"),
        pl.lit("معرف السطر فارغ أو مكرر في الملف").alias("message_ar"),
        pl.lit("identifiant de ligne vide ou répété dans le fichier").alias("message_fr"),
        pl.lit("record_id empty or repeated in the file").alias("message_en"),
        pl.lit("أعطوا لكل سطر معرفا فريدا").alias("fix_ar"),
        pl.lit("donnez à chaque ligne un identifiant unique").alias("fix_fr"),
        pl.lit("give every row a unique record_id").alias("fix_en"),
    )


def _write_errors(problems: pl.DataFrame, frame: pl.DataFrame, path: Path) -> None:
    with_ids = problems.join(frame.select(pl.col("row").cast(pl.Int64), "record_id"), on="row", how="left")
    with_ids.select(ERROR_COLUMNS).sort("row").write_csv(path)


def check_file(path: Path, *, known_annexes: set[str], today: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(shaped rows, normalised rows, problems) for a whole file, vectorised."""
    frame = shape(read_rows(path))
    normalised, problems = check_people(frame, today=today, known_annexes=known_annexes)
    problems = pl.concat(
        [problems.with_columns(pl.col("row").cast(pl.Int64)), _duplicate_ids(frame)], how="diagonal_relaxed"
    )
    return frame, normalised, problems


def _first_load(
    factory: sessionmaker[Session], actor: Actor, todo: pl.DataFrame, register: pl.DataFrame, source: str
) -> tuple[int, int]:
    """One transaction for the whole load: the register keeps its indexes and constraints at every
    commit, and a crash leaves nothing to resume. The duplicate check (DuckDB, which lets go of
    the interpreter) runs on a thread of its own while the rows are staged (``bulk_apply``)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sijill-duplicate-check") as pool:
        pairs_later = pool.submit(strong_pairs, todo, register)
        with transaction(factory) as session:
            widen_sqlite_cache(session)
            with rebuilt_after(session, REBUILT_TABLES, primary_keys_of=REBUILT_PRIMARY_KEYS):
                return apply_first_load(session, actor, todo, pairs_later, source)


def import_persons(
    *,
    factory: sessionmaker[Session],
    actor: Actor,
    path: Path,
    source: str,
    error_path: Path,
    accept_valid: bool = False,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    actor.require(Permission.PERSON_WRITE)
    started = time.perf_counter()
    frame, normalised, problems = check_file(
        path, known_annexes=_known_annexes(factory, actor), today=today or date.today()
    )
    bad_rows = problems["row"].n_unique()
    if problems.height:
        _write_errors(problems, frame, error_path)
        if not accept_valid:
            raise rows_rejected(problems, bad_rows, error_path)
        normalised = normalised.filter(~pl.col("row").cast(pl.Int64).is_in(problems["row"].implode()))
    with factory() as session:
        done = pl.read_database(
            select(PersonSource.source_record_id).where(PersonSource.source == source),
            session.connection(),
        )["source_record_id"].cast(pl.String)
        todo = with_name_keys(
            normalised.filter(~pl.col("record_id").is_in(done.implode())).with_columns(
                pl.col("row").cast(pl.Int64).alias("rid")
            )
        )
        records = register_size(session)
        register = register_blocks(session, todo, records)
    if todo.height >= REBUILD_INDEXES_FROM * max(records, 1):
        created, held = _first_load(factory, actor, todo, register, source)
        if progress is not None:
            progress(todo.height, todo.height)
    else:
        created, held = apply_in_chunks(factory, actor, todo, strong_pairs(todo, register), source, progress)
    return ImportReport(
        source=source,
        rows=frame.height,
        invalid_rows=bad_rows,
        already_imported=normalised.height - todo.height,
        created=created,
        held_for_review=held,
        seconds=round(time.perf_counter() - started, 2),
        error_file=str(error_path) if problems.height else None,
    )
