"""GET /api/programmes/{programme}/simulation: aggregates for analysts; refusals and bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.households import Login, parent_and_child


@pytest.fixture
def declared(client: TestClient, login: Login, session_factory: sessionmaker[Session]) -> str:
    # Just above the ASD threshold: a threshold of 9.8 brings the household in.
    return parent_and_child(client, login, session_factory, prefix="67", score=9.75)


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
