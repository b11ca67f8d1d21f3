"""Migrations build exactly the schema the models describe, and can be undone, on both backends."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from sijill.all_models import Base
from sijill.linkage.names import name_key
from sijill.migrations_runner import alembic_config, current_revision, head_revision, upgrade


def test_schema_matches_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # The PostgreSQL-only indexes live in the migration alone: the prefix ones (varchar_pattern_ops,
    # for scope filters), since SQLite has no operator classes, and the BRIN ones.
    differences = [d for d in differences if not (d[0] == "remove_index" and d[1].name.endswith(("_prefix", "_brin")))]
    assert differences == []


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    engine.dispose()
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_0003_computes_the_father_key_of_records_already_in_the_register(engine: Engine) -> None:
    engine.dispose()
    command.downgrade(alembic_config(engine), "0002")
    now = "2026-11-30 10:00:00"
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO issued_idcs (number, issued_at, issued_by) VALUES ('1000000011', :t, 'x')"), {"t": now}
        )
        connection.execute(
            text(
                "INSERT INTO person (id, idcs, given_name_lat, father_given_name_lat, father_given_name_ar, sex, "
                "birth_year, birth_date_precision, nationality, annex_code, status, version, created_by, "
                "created_at, updated_by, updated_at) VALUES (1, '1000000011', 'Amina', 'Mohammed', 'محمد', 'F', "
                "1980, 'year', 'MAR', '03.02', 'active', 1, 'x', :t, 'x', :t)"
            ),
            {"t": now},
        )
    engine.dispose()
    upgrade(engine)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT father_key FROM person WHERE id = 1")).scalar_one()
    assert stored == name_key("Mohammed")
