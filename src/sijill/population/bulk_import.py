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
   with COPY (PostgreSQL) or executemany (SQLite). A crash loses at most the chunk in progress;
   on the next run the rows already applied are register records, found again by the check.
   A load at least as large as the register (a first load) is applied in one transaction instead,
   its indexes and constraints rebuilt at the end (``sijill.bulk_mode``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.bulk import bulk_insert, record_stamp, table_of, widen_sqlite_cache
from sijill.bulk_mode import rebuilt_after
from sijill.db import transaction
from sijill.ids import reserve_ids
from sijill.population.batch_candidates import register_blocks, register_size, strong_pairs
from sijill.population.blocks import with_name_keys
from sijill.population.idcs import issue, issue_for_load
from sijill.population.import_file import PERSON_COLUMNS, read_rows, shape
from sijill.population.models import Person, PersonSource, Registration, RegistrationCandidate
from sijill.population.validation_batch import check_people
from sijill.table_files import rows_rejected
from sijill.territory.models import TerritoryUnit

CHUNK_ROWS = 200_000
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
        pairs = strong_pairs(todo, register_blocks(session, todo, records))
    rebuild = todo.height >= REBUILD_INDEXES_FROM * max(records, 1)
    if rebuild:
        # One transaction for the whole load: the register keeps its indexes and constraints at
        # every commit, and a crash leaves nothing to resume.
        with transaction(factory) as session:
            widen_sqlite_cache(session)
            with rebuilt_after(session, REBUILT_TABLES, primary_keys_of=REBUILT_PRIMARY_KEYS):
                to_create = todo.height - pairs["rid"].n_unique()
                numbers = issue_for_load(session, to_create, issued_by=actor.username)
                # One transaction anyway: written in one piece, so each table is written once.
                created, held = _apply_chunks(
                    lambda: nullcontext(session),
                    actor,
                    todo,
                    pairs,
                    source,
                    progress,
                    numbers=numbers,
                    rows=todo.height,
                )
    else:
        created, held = _apply_chunks(lambda: _chunk_transaction(factory), actor, todo, pairs, source, progress)
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


@contextmanager
def _chunk_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    with transaction(factory) as session:
        widen_sqlite_cache(session)
        yield session


def _apply_chunks(
    open_session: Callable[[], AbstractContextManager[Session]],
    actor: Actor,
    todo: pl.DataFrame,
    pairs: pl.DataFrame,
    source: str,
    progress: Callable[[int, int], None] | None,
    *,
    numbers: pl.Series | None = None,
    rows: int | None = None,
) -> tuple[int, int]:
    """Apply ``todo`` chunk by chunk (of ``rows``, default ``CHUNK_ROWS``), each in the session
    ``open_session`` gives; (created, held)."""
    rows = max(rows or CHUNK_ROWS, 1)
    created = held = 0
    # Person ids of the rows created so far: a later row held because of an earlier one points there.
    created_ids = pl.DataFrame(schema={"other_rid": pl.Int64, "new_person_id": pl.Int64})
    for offset in range(0, todo.height, rows):
        chunk = todo.slice(offset, rows)
        chunk_pairs = pairs.filter(pl.col("rid").is_in(chunk["rid"].implode()))
        with open_session() as session:
            new_ids, kept = _apply_chunk(session, actor, chunk, chunk_pairs, created_ids, source, numbers)
        if numbers is not None:
            numbers = numbers.slice(new_ids.height)
        created_ids = pl.concat([created_ids, new_ids])
        created, held = created + new_ids.height, held + kept
        if progress is not None:
            progress(offset + chunk.height, todo.height)
    return created, held


def _apply_chunk(
    session: Session,
    actor: Actor,
    chunk: pl.DataFrame,
    pairs: pl.DataFrame,
    created_before: pl.DataFrame,
    source: str,
    numbers: pl.Series | None,
) -> tuple[pl.DataFrame, int]:
    """Write one chunk; returns (other_rid, new_person_id) of the records it created, and the
    number of rows it held for review. ``numbers``: IDCS issued beforehand for the rest of the load
    (its tables are then locked), taken from the first; else they are issued here."""
    held_rids = pairs["rid"].unique()
    # Written in CIN order, with the IDCS (ascending) handed out in that order: then the row id,
    # the IDCS and the CIN all grow together, and the unique indexes SQLite keeps row by row are
    # appended to instead of written all over (1M persons: about 3 s less).
    to_create = chunk.filter(~pl.col("rid").is_in(held_rids.implode())).sort("cin", nulls_last=False)
    to_hold = chunk.filter(pl.col("rid").is_in(held_rids.implode()))
    now = datetime.now(UTC)

    # Issuing first takes the write lock on SQLite, so the ids reserved next cannot move.
    tables_locked = numbers is not None
    if numbers is None:
        idcs = pl.Series("idcs", issue(session, to_create.height, issued_by=actor.username), dtype=pl.String)
    else:
        idcs = numbers.head(to_create.height).alias("idcs")
    person_ids = reserve_ids(session, table_of(Person), to_create.height, table_locked=tables_locked)
    people = to_create.with_columns(
        pl.Series("id", person_ids),
        idcs,
        pl.lit("active").alias("status"),
        *record_stamp(actor.username, now),
    )
    bulk_insert(
        session,
        table_of(Person),
        people.select(
            "id",
            "idcs",
            *PERSON_COLUMNS,
            "given_key",
            "family_key",
            "father_key",
            "status",
            "version",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
        ).to_arrow(),
    )

    registration_ids = reserve_ids(session, table_of(Registration), to_hold.height)
    submitted = to_hold.select(*PERSON_COLUMNS).with_columns(pl.col("birth_date").cast(pl.String))
    registrations = to_hold.select("rid", "annex_code").with_columns(
        pl.Series("id", registration_ids),
        pl.lit("pending_review").alias("status"),
        submitted.select(pl.struct(PERSON_COLUMNS).struct.json_encode().alias("submitted")).to_series(),
        pl.lit(actor.username).alias("submitted_by"),
        pl.lit(now).alias("submitted_at"),
    )
    bulk_insert(session, table_of(Registration), registrations.drop("rid").to_arrow())

    # A row held because of an earlier row of the file points at the record that row just became.
    new_ids = pl.concat(
        [created_before, people.select(pl.col("rid").alias("other_rid"), pl.col("id").alias("new_person_id"))]
    )
    candidates = (
        pairs.join(new_ids, on="other_rid", how="left")
        .with_columns(pl.coalesce("person_id", "new_person_id").alias("person_id"))
        .drop_nulls("person_id")
        .join(registrations.select("rid", pl.col("id").alias("registration_id")), on="rid")
        .unique(["registration_id", "person_id"])
        .select(
            "registration_id",
            "person_id",
            "score",
            pl.format('{{"batch": true, "same_cin": {}}}', pl.col("same_cin").cast(pl.String).str.to_lowercase()).alias(
                "reasons"
            ),
        )
    )
    bulk_insert(session, table_of(RegistrationCandidate), candidates.to_arrow())

    links = pl.concat(
        [
            people.select(
                pl.col("record_id").alias("source_record_id"),
                pl.col("id").alias("person_id"),
                pl.lit(None, dtype=pl.Int64).alias("registration_id"),
            ),
            registrations.join(to_hold.select("rid", "record_id"), on="rid").select(
                pl.col("record_id").alias("source_record_id"),
                pl.lit(None, dtype=pl.Int64).alias("person_id"),
                pl.col("id").alias("registration_id"),
            ),
        ]
    ).with_columns(pl.lit(source).alias("source"), pl.lit(now).alias("imported_at"))
    # In key order, for the same reason as the persons (SQLite keeps this key row by row).
    bulk_insert(session, table_of(PersonSource), links.sort("source_record_id").to_arrow())
    audit.record(
        session,
        actor,
        "person.import",
        "person",
        None,
        actor.scope_code,
        {"source": source, "created": people.height, "held_for_review": to_hold.height},
    )
    return people.select(pl.col("rid").alias("other_rid"), pl.col("id").alias("new_person_id")), to_hold.height
