"""Loads at least as large as the table: its indexes and constraints are rebuilt after the rows are in.

Keeping ten B-trees up to date row by row, and checking each foreign key with one lookup per row,
costs several times the write itself (1M persons COPied into PostgreSQL: 36 s into ``person``,
2 s into a table without index or constraint; docs/benchmarks.md). Building an index from sorted
data, and checking a foreign key with one anti-join, is the set-based way, and what ``pg_restore``
does. Everything happens in the caller's
transaction: if a rebuilt unique index or foreign key finds a violation the whole load rolls back,
so the guarantees at commit are exactly those of the schema.

PostgreSQL: the tables are locked (ACCESS EXCLUSIVE) until commit, so other sessions wait for the
load instead of seeing the tables without their indexes; primary keys stay. SQLite serialises
writers anyway; there, only the indexes declared with CREATE INDEX can be dropped (UNIQUE and
foreign-key clauses are part of the table), so those constraints are checked row by row as usual.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from sijill.db import begin_sqlite_write

# Enough to sort a national table's index keys in memory; lasts only for the load's transaction.
REBUILD_MEMORY = "512MB"


@dataclass(frozen=True, slots=True)
class _Deferred:
    drop: list[str]
    rebuild: list[str]


def _postgres_definitions(session: Session, table: str, *, primary_key: bool) -> _Deferred:
    kinds = "('p', 'u', 'f')" if primary_key else "('u', 'f')"
    constraints = session.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "  # noqa: S608 (constant fragments)
            f"WHERE conrelid = CAST(:t AS regclass) AND contype IN {kinds} "
            "ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END, conname"
        ),
        {"t": table},
    ).all()
    indexes = session.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND i.tablename = :t AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conrelid = CAST(:t AS regclass) AND c.conname = i.indexname) ORDER BY i.indexname"
        ),
        {"t": table},
    ).all()
    # Keys come back before foreign keys, which may rest on them.
    return _Deferred(
        drop=[f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"' for name, _ in reversed(constraints)]
        + [f'DROP INDEX "{name}"' for name, _ in indexes],
        rebuild=[definition for _, definition in indexes]
        + [f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints],
    )


def _sqlite_definitions(session: Session, table: str) -> _Deferred:
    # Indexes SQLite made for UNIQUE clauses have no SQL and cannot be dropped.
    indexes = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
        {"t": table},
    ).all()
    return _Deferred(drop=[f'DROP INDEX "{name}"' for name, _ in indexes], rebuild=[sql for _, sql in indexes])


@contextmanager
def rebuilt_after(session: Session, tables: Sequence[str], *, primary_keys_of: Sequence[str] = ()) -> Iterator[None]:
    """Drop the tables' secondary indexes (and, on PostgreSQL, their unique and foreign-key
    constraints, and the primary keys of ``primary_keys_of``) for the duration of the block, then
    build them again, in the caller's transaction.

    ``tables`` are listed referenced first: they are taken apart from the last one and rebuilt
    from the first, so that a foreign key always comes back after the key it points to."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        # Without it, a DROP INDEX run first would be committed on its own, and a failed load
        # would leave the table without the index.
        begin_sqlite_write(session)
    deferred = []
    for table in tables:
        if postgres:
            session.execute(text(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE'))
        deferred.append(
            _postgres_definitions(session, table, primary_key=table in primary_keys_of)
            if postgres
            else _sqlite_definitions(session, table)
        )
    for statement in (s for d in reversed(deferred) for s in d.drop):
        session.execute(text(statement))
    yield
    if postgres:
        session.execute(text(f"SET LOCAL maintenance_work_mem = '{REBUILD_MEMORY}'"))
    for statement in (s for d in deferred for s in d.rebuild):
        session.execute(text(statement))
    if postgres:
        # A table filled in one go has no statistics until autovacuum comes by; without them the
        # planner takes a million rows for a few and picks nested loops for the next batch.
        for table in tables:
            session.execute(text(f'ANALYZE "{table}"'))
