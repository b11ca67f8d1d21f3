"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Each test run (each xdist worker) creates its own PostgreSQL database and drops it at the end;
SQLite tests copy a migrated template file, so every test starts from a clean schema.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.config import get_settings
from sijill.db import database_answers, make_engine, make_sessionmaker, scratch_postgres_database, transaction
from sijill.migrations_runner import upgrade
from sijill.territory.service import load_reference

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin_url() -> str:
    return os.environ.get("SIJILL_TEST_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)


def _pg_available() -> bool:
    return database_answers(_pg_admin_url())


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("SIJILL_SECRET_KEY", "test-secret-key-0123456789abcdef0123456789")
    # Cheap hashes keep the suite fast; production cost is set by the defaults in config.py.
    os.environ.setdefault("SIJILL_ARGON2_TIME_COST", "1")
    os.environ.setdefault("SIJILL_ARGON2_MEMORY_KIB", "1024")
    get_settings.cache_clear()
    if os.environ.get("SIJILL_TEST_REQUIRE_POSTGRES") == "1" and not _pg_available():
        raise pytest.UsageError(f"SIJILL_TEST_REQUIRE_POSTGRES=1 but PostgreSQL does not answer at {_pg_admin_url()}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        load_reference(session=session, actor=SYSTEM)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """This test run's own PostgreSQL database, migrated once, dropped at the end."""
    if not _pg_available():
        pytest.skip("PostgreSQL not reachable (set SIJILL_TEST_POSTGRES_URL)")
    with scratch_postgres_database(_pg_admin_url(), "sijill_test_") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def _reset_postgres(engine: Engine) -> None:
    """Empty every table between tests; triggers are bypassed only for this clean-up."""
    with engine.begin() as connection:
        tables = (
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            )
            .scalars()
            .all()
        )
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '" + "0" * 64 + "')"))
    with make_sessionmaker(engine)() as session, session.begin():
        load_reference(session=session, actor=SYSTEM)


SYSTEM = Actor.system(source="test")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "sijill.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
def engine(db_url: str, backend: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    if backend == "postgresql":
        _reset_postgres(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work the test commits itself (or not)."""
    with session_factory() as session:
        yield session


@pytest.fixture
def system_actor() -> Actor:
    return SYSTEM


def actor(role: Role, scope_code: str | None, username: str = "tester") -> Actor:
    return Actor(username=username, role=role, scope_code=scope_code, source="test")
