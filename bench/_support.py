"""Throw-away databases for benchmarks: a SQLite file, or a PostgreSQL database created and dropped."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from sijill.db import make_engine
from sijill.migrations_runner import upgrade

PG_ADMIN_URL = os.environ.get("SIJILL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


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
    name = f"sijill_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
