"""GET /api/programmes/{programme}/simulation: aggregates for analysts; refusals and bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from sijill.db import transaction
from tests.factories import ANNEX_A
from tests.social_registry.support import add_person, form, member

Login = Callable[[str], dict[str, str]]


@pytest.fixture
def declared(client: TestClient, login: Login, session_factory: sessionmaker[Session]) -> str:
    with transaction(session_factory) as session:
        add_person(session, "6700000001", ANNEX_A, sex="M", born=date(1970, 3, 3))
        add_person(session, "6700000002", ANNEX_A, born=date(2016, 9, 9))
    family = form(
        ANNEX_A, [member("6700000001", "head"), member("6700000002", "child", in_school=True, occupation=None)]
    )
    created = client.post("/api/households", json=family, headers=login("agent_a"))
    assert created.status_code == 201, created.text
    number: str = created.json()["number"]
    # Just above the ASD threshold: a threshold of 9.8 brings the household in.
    correction = {"score": 9.75, "reason": "enquête sur place du 3 juin"}
    assert (
        client.post(
            f"/api/households/{number}/score/corrections", json=correction, headers=login("reviewer")
        ).status_code
        == 201
    )
    return number


def test_an_analyst_sees_who_comes_in_and_what_it_costs(client: TestClient, login: Login, declared: str) -> None:
    response = client.get("/api/programmes/asd/simulation", params={"threshold": 9.8}, headers=login("analyst"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scenario"] == "asd@2026-01+threshold-9.8"
    totals = body["totals"]
    assert (totals["households_in"], totals["persons_in"], totals["households_out"]) == (1, 2, 0)
    assert totals["amount_after"] - totals["amount_before"] == 500.0
    assert [(r["region"], r["milieu"], r["households_in"]) for r in body["rows"]] == [("03", "urban", 1)]
    assert "6700000001" not in response.text and declared not in response.text
    # Households declared at the counter have no true consumption to measure errors against.
    assert body["truth"] is None and "poor" not in totals


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"threshold": 25}, 422),
        ({"schedule": 2031}, 422),
        ({"threshold": "high"}, 422),
        ({"poverty_line": 0}, 422),
        ({"poverty_line": "low"}, 422),
    ],
)
def test_bad_scenarios(client: TestClient, login: Login, params: dict[str, object], status: int) -> None:
    response = client.get("/api/programmes/asd/simulation", params=params, headers=login("analyst"))
    assert response.status_code == status


def test_who_may_simulate(client: TestClient, login: Login) -> None:
    assert client.get("/api/programmes/asd/simulation", headers=login("agent_a")).status_code == 403
    assert client.get("/api/programmes/ramed/simulation", headers=login("analyst")).status_code == 422
    assert client.get("/api/programmes/asd/simulation").status_code == 401
