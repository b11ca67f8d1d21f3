"""The duplicate review through the API: the queue, one pair side by side, decisions, scope."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.api.app import create_app
from sijill.config import Settings
from sijill.db import transaction
from sijill.linkage.register_dedup import run_register_dedup
from tests.factories import PASSWORD, create_user
from tests.linkage.test_register_dedup import ADMIN, register, synth

pytestmark = pytest.mark.slow
__all__ = ["register", "synth"]  # fixtures shared with the service tests


@pytest.fixture
def reviewing(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    system_actor: Actor,
    register: pl.DataFrame,
) -> Iterator[TestClient]:
    with transaction(session_factory) as session:
        run_register_dedup(session=session, actor=ADMIN)
        create_user(session, system_actor, "reviewer", Role.REVIEWER, None)
        create_user(session, system_actor, "local_reviewer", Role.REVIEWER, "03.02.001")
        create_user(session, system_actor, "agent", Role.ANNEX_AGENT, "03.02.001.01")
    with TestClient(create_app(settings, engine)) as client:
        yield client


def _headers(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_the_queue_shows_pairs_side_by_side_with_their_evidence(reviewing: TestClient) -> None:
    headers = _headers(reviewing, "reviewer")
    queue = reviewing.get("/api/duplicates", params={"limit": 500}, headers=headers)
    assert queue.status_code == 200
    pairs = queue.json()
    assert pairs and all(p["status"] == "open" for p in pairs)
    first = pairs[0]
    assert first["person_a"]["idcs"] != first["person_b"]["idcs"]
    assert {"given_name", "birth_date"} <= {e["comparison"] for e in first["evidence"]}
    weights = [abs(e["weight"]) for e in first["evidence"]]
    assert weights == sorted(weights, reverse=True)
    shown = reviewing.get(f"/api/duplicates/{first['id']}", headers=headers)
    assert shown.status_code == 200 and shown.json()["person_a"] == first["person_a"]

    local = _headers(reviewing, "local_reviewer")
    mine = reviewing.get("/api/duplicates", params={"limit": 500}, headers=local).json()
    assert all(p["person_a"]["annex_code"].startswith("03.02.001.") for p in mine)
    outside = next(p for p in pairs if not p["person_a"]["annex_code"].startswith("03.02.001."))
    assert reviewing.get(f"/api/duplicates/{outside['id']}", headers=local).status_code == 404


def test_decisions_and_their_errors(reviewing: TestClient) -> None:
    headers = _headers(reviewing, "reviewer")
    first, second = reviewing.get("/api/duplicates", params={"limit": 2}, headers=headers).json()
    merged = reviewing.post(
        f"/api/duplicates/{first['id']}/decision", json={"decision": "same", "reason": "same card"}, headers=headers
    )
    assert merged.status_code == 200 and merged.json()["status"] == "same"
    survivor = first["person_a"]["idcs"]
    gone = reviewing.get(f"/api/persons/{first['person_b']['idcs']}", headers=headers).json()
    assert gone["status"] == "merged" and gone["merged_into_idcs"] == survivor
    again = reviewing.post(
        f"/api/duplicates/{first['id']}/decision", json={"decision": "different", "reason": "x"}, headers=headers
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_pair_decided"
    bad = reviewing.post(
        f"/api/duplicates/{second['id']}/decision", json={"decision": "maybe", "reason": "x"}, headers=headers
    )
    assert bad.status_code == 422
    no_reason = reviewing.post(
        f"/api/duplicates/{second['id']}/decision", json={"decision": "different"}, headers=headers
    )
    assert no_reason.status_code == 422
    wrong_survivor = reviewing.post(
        f"/api/duplicates/{second['id']}/decision",
        json={"decision": "same", "reason": "x", "survivor_idcs": "0000000000"},
        headers=headers,
    )
    assert wrong_survivor.status_code == 422 and wrong_survivor.json()["error"]["field"] == "survivor_idcs"
    assert reviewing.get(f"/api/duplicates/{second['id']}", headers=headers).json()["status"] == "open"
    agent = _headers(reviewing, "agent")
    assert reviewing.get("/api/duplicates", headers=agent).status_code == 403
    assert reviewing.get("/api/duplicates").status_code == 401
