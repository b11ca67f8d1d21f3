"""Alembic environment: the engine comes from `sijill db upgrade` (or SIJILL_DATABASE_URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from sijill.all_models import Base
from sijill.config import get_settings
from sijill.db import make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owned = engine is None
    if engine is None:
        engine = make_engine(get_settings().database_url)
    try:
        with engine.begin() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            context.run_migrations()
    finally:
        if owned:
            engine.dispose()


run_migrations_online()
