"""Throw-away databases for benchmarks: a SQLite file, or a PostgreSQL database created and dropped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from sijill.db import database_answers, make_engine, scratch_postgres_database
from sijill.migrations_runner import upgrade

PG_ADMIN_URL = os.environ.get("SIJILL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> bool:
    return database_answers(PG_ADMIN_URL)


@contextmanager
def scratch_database(backend: str, folder: Path) -> Iterator[Engine]:
    """A migrated, empty database that disappears afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with scratch_postgres_database(PG_ADMIN_URL, "sijill_bench_") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def settle(engine: Engine) -> None:
    """Bring a freshly loaded database to the state of one in service: VACUUM ANALYZE and a
    CHECKPOINT on PostgreSQL (so the timed run neither rewrites every page to set visibility hints
    nor pays for flushing the load's gigabytes of dirty pages), ANALYZE on SQLite."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("VACUUM ANALYZE")
            connection.exec_driver_sql("CHECKPOINT")
        else:
            connection.exec_driver_sql("ANALYZE")
