"""Migrations build exactly the schema the models describe, and can be undone, on both backends."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from sijill.all_models import Base
from sijill.migrations_runner import alembic_config, current_revision, head_revision, upgrade


def test_schema_matches_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # The PostgreSQL-only prefix indexes (varchar_pattern_ops, for scope filters) live in the
    # migration alone, since SQLite has no operator classes.
    differences = [d for d in differences if not (d[0] == "remove_index" and d[1].name.endswith("_prefix"))]
    assert differences == []


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    engine.dispose()
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
