"""Engine, sessions and the declarative Base.

SQLite (embedded, the default) and PostgreSQL (real deployments) are both first-class: every
database test runs on both.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names so Alembic migrations are identical on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A JSON document column: JSONB on PostgreSQL, so that SQL can read inside it.
Document = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatabaseNotMigratedError(Exception):
    """The database has no schema, or an older one than this code expects."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (web pages, API) go on while a batch writes; foreign keys are off by
    # default in SQLite and we rely on them for integrity.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    # A database error's message would otherwise quote the statement's values (names, IDCS,
    # whole DCI records) into whatever log records it.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        from sijill.sqlite_stage import forget_stages, release_stages

        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # Large writes attach scratch files (sijill.sqlite_stage); they go when the transaction has.
        event.listen(engine, "checkin", release_stages)
        event.listen(engine, "close", forget_stages)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_sqlite_write(session: Session) -> None:
    """Open the session's SQLite transaction now, holding the write lock (BEGIN IMMEDIATE).

    Python's sqlite3 opens a transaction only before INSERT, UPDATE or DELETE: statements run
    before one (DDL, reads that decide what to write) would otherwise run outside it."""
    raw = session.connection().connection.driver_connection
    if not raw.in_transaction:  # type: ignore[union-attr]
        raw.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]


def is_postgres(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


def require_migrated(engine: Engine) -> None:
    """Fail with a clear instruction when the schema is missing or behind the code."""
    from sijill.migrations_runner import current_revision, head_revision

    current = current_revision(engine)
    if current is None or current != head_revision():
        raise DatabaseNotMigratedError(f"database schema is at {current or 'nothing'}, code expects {head_revision()}")


def table_names(engine: Engine) -> list[str]:
    return list(inspect(engine).get_table_names())


def database_answers(url: str, timeout_s: int = 3) -> bool:
    """Whether a database server can be reached and queried (used by tests and benchmarks)."""
    connect_args = {"connect_timeout": timeout_s} if url.startswith("postgresql") else {}
    engine = create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def scratch_postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named ``<prefix><random>``, dropped afterwards; yields its URL."""
    name = f"{prefix}{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
