"""Writing the checked rows of an import: persons with their IDCS, the registrations held for
review, and which source row became which record.

Two ways, chosen by ``bulk_import``:

- **In chunks**, one transaction each (a load small against the register): a crash loses at most
  the chunk in progress, and the next run resumes after the committed ones.
- **A first load**, in the caller's one transaction, with the tables locked and their indexes set
  aside (``sijill.bulk_mode``). The duplicate check is still running when it starts: every row
  is given an IDCS (the ledger written and its key rebuilt) and a row id, and on SQLite written to
  its scratch file, while the check runs on the other core; once it is done, the rows it does
  not hold are written, and the numbers of the held ones go back out of the ledger before anyone
  could see them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.bulk import (
    bulk_insert,
    complete_insert,
    fill_temporary_table,
    prepare_insert,
    record_stamp,
    table_of,
    widen_sqlite_cache,
)
from sijill.db import transaction
from sijill.ids import reserve_ids
from sijill.population.idcs import issue, issue_for_load
from sijill.population.import_file import PERSON_COLUMNS
from sijill.population.models import Person, PersonSource, Registration, RegistrationCandidate

CHUNK_ROWS = 200_000
PERSON_WRITTEN = (
    "id", "idcs", *PERSON_COLUMNS, "given_key", "family_key", "father_key", "status", "version", "created_by",
    "created_at", "updated_by", "updated_at",
)  # fmt: skip

Progress = Callable[[int, int], None] | None
# (other_rid, new_person_id) of rows created by earlier chunks: none before the first.
_NONE_CREATED = pl.DataFrame(schema={"other_rid": pl.Int64, "new_person_id": pl.Int64})


def apply_in_chunks(
    factory: sessionmaker[Session],
    actor: Actor,
    todo: pl.DataFrame,
    pairs: pl.DataFrame,
    source: str,
    progress: Progress,
) -> tuple[int, int]:
    """Write ``todo`` chunk by chunk (``CHUNK_ROWS``), one transaction each; (created, held)."""
    created = held = 0
    # Person ids of the rows created so far: a later row held because of an earlier one points there.
    created_ids = _NONE_CREATED
    for offset in range(0, todo.height, CHUNK_ROWS):
        chunk = todo.slice(offset, CHUNK_ROWS)
        chunk_pairs = pairs.filter(pl.col("rid").is_in(chunk["rid"].implode()))
        with _chunk_transaction(factory) as session:
            new_ids, kept = apply_chunk(session, actor, chunk, chunk_pairs, created_ids, source)
        created_ids = pl.concat([created_ids, new_ids])
        created, held = created + new_ids.height, held + kept
        if progress is not None:
            progress(offset + chunk.height, todo.height)
    return created, held


@contextmanager
def _chunk_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    with transaction(factory) as session:
        widen_sqlite_cache(session)
        yield session


def apply_chunk(
    session: Session,
    actor: Actor,
    chunk: pl.DataFrame,
    pairs: pl.DataFrame,
    created_before: pl.DataFrame,
    source: str,
) -> tuple[pl.DataFrame, int]:
    """Write one chunk; returns (other_rid, new_person_id) of the records it created, and the
    number of rows it held for review."""
    held_rids = pairs["rid"].unique().implode()
    to_create = _in_key_order(chunk.filter(~pl.col("rid").is_in(held_rids)))
    now = datetime.now(UTC)
    # Issuing first takes the write lock on SQLite, so the ids reserved next cannot move.
    idcs = pl.Series("idcs", issue(session, to_create.height, issued_by=actor.username), dtype=pl.String)
    people = _people(actor, to_create, reserve_ids(session, table_of(Person), to_create.height), idcs, now)
    bulk_insert(session, table_of(Person), people.select(PERSON_WRITTEN).to_arrow())
    held = _write_outcomes(
        session, actor, people, chunk.filter(pl.col("rid").is_in(held_rids)), pairs, created_before, source, now
    )
    return people.select(pl.col("rid").alias("other_rid"), pl.col("id").alias("new_person_id")), held


def apply_first_load(
    session: Session, actor: Actor, todo: pl.DataFrame, pairs_later: Future[pl.DataFrame], source: str
) -> tuple[int, int]:
    """Write a whole first load in the caller's transaction (tables locked, indexes set aside),
    while ``pairs_later`` (the duplicate check) is still being computed; (created, held)."""
    ordered = _in_key_order(todo)
    now = datetime.now(UTC)
    # Every row is given a number and an id while the check runs; the rows it holds keep neither:
    # their numbers go back out of the ledger below, in this same transaction, so the ledger only
    # ever shows numbers handed out (their ids are simply never used).
    numbers = issue_for_load(session, ordered.height, issued_by=actor.username)
    ids = reserve_ids(session, table_of(Person), ordered.height, table_locked=True)
    people = _people(actor, ordered, ids, numbers, now)
    # SQLite writes the rows to its scratch file now, before the check is done (sijill.bulk).
    prepared = prepare_insert(session, table_of(Person), people.select(PERSON_WRITTEN).to_arrow())
    pairs = pairs_later.result()
    held_rids = pairs["rid"].unique().implode()
    unused = people.filter(pl.col("rid").is_in(held_rids))
    complete_insert(session, prepared, leave_out=unused["id"])
    _give_back(session, unused.select(pl.col("idcs").alias("number")))
    created = people.filter(~pl.col("rid").is_in(held_rids))
    to_hold = todo.filter(pl.col("rid").is_in(held_rids))
    held = _write_outcomes(session, actor, created, to_hold, pairs, _NONE_CREATED, source, now)
    return created.height, held


def _give_back(session: Session, unused: pl.DataFrame) -> None:
    """Take numbers issued in this transaction but not handed out back out of the ledger."""
    fill_temporary_table(session, "import_unused", "number VARCHAR(10)", unused)
    session.execute(text("DELETE FROM issued_idcs WHERE number IN (SELECT number FROM import_unused)"))


def _in_key_order(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows to write in CIN order: with the IDCS (ascending) handed out in that order, the row id,
    the IDCS and the CIN all grow together, and the unique indexes SQLite keeps row by row are
    appended to instead of written all over (1M persons: about 3 s less)."""
    return rows.sort("cin", nulls_last=False)


def _people(actor: Actor, rows: pl.DataFrame, ids: NDArray[np.int64], idcs: pl.Series, now: datetime) -> pl.DataFrame:
    return rows.with_columns(
        pl.Series("id", ids),
        idcs.alias("idcs"),
        pl.lit("active").alias("status"),
        *record_stamp(actor.username, now),
    )


def _write_outcomes(
    session: Session,
    actor: Actor,
    people: pl.DataFrame,
    to_hold: pl.DataFrame,
    pairs: pl.DataFrame,
    created_before: pl.DataFrame,
    source: str,
    now: datetime,
) -> int:
    """After ``people`` are written: the registrations held for review with their candidates,
    each source row's record, and the audit line; returns how many rows were held."""
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
    return to_hold.height
