from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.api.app import create_app
from sijill.config import Settings
from sijill.db import transaction
from tests.factories import seed_world

TEST_SECRET = "web-test-secret-key-0123456789abcdef0123"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, secret_key=TEST_SECRET, login_max_failures=3, login_lock_minutes=15)


@pytest.fixture
def web(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session], system_actor: Actor
) -> Iterator[TestClient]:
    """A browser without a screen, on a seeded world (tests/factories.py: agent_a, reviewer, ...)."""
    with transaction(session_factory) as session:
        seed_world(session, system_actor)
    with TestClient(create_app(settings, engine)) as client:
        yield client
