from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.api.app import create_app
from sijill.config import Settings
from sijill.db import transaction
from tests.factories import PASSWORD, seed_world

TEST_SECRET = "api-test-secret-key-0123456789abcdef0123"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, secret_key=TEST_SECRET, token_minutes=5)


@pytest.fixture
def client(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session], system_actor: Actor
) -> Iterator[TestClient]:
    with transaction(session_factory) as session:
        seed_world(session, system_actor)
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, str]]:
    def _login(username: str) -> dict[str, str]:
        response = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return _login
