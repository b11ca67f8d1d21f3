"""GET /api/households/{number}/eligibility: decisions with reasons in Arabic and French; bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.households import Login, parent_and_child


@pytest.fixture
def number(client: TestClient, login: Login, session_factory: sessionmaker[Session]) -> str:
    return parent_and_child(client, login, session_factory, prefix="66", score=9.1)


def test_decisions_of_every_programme_in_force(client: TestClient, login: Login, number: str) -> None:
    response = client.get(f"/api/households/{number}/eligibility", headers=login("agent_a"))
    assert response.status_code == 200, response.text
    decisions = {d["programme"]: d for d in response.json()}
    assert {"amo-tadamon", "amo-achamil", "asd", "daam"} <= set(decisions)
    asd = decisions["asd"]
    assert (asd["status"], asd["index"], asd["amount"], asd["rule"]) == ("eligible", 9.1, 500.0, "asd@2026-01")
    assert [(line["line"], line["idcs"], line["amount"]) for line in asd["lines"]] == [
        ("child_allowance", "6600000002", 300.0),
        ("floor", None, 200.0),
    ]
    assert asd["lines"][1]["label"]["fr"].startswith("Complément")
    achamil = decisions["amo-achamil"]
    assert achamil["status"] == "not_eligible" and achamil["reasons"][0]["text"]["ar"]
    assert decisions["daam"]["reasons"][0]["code"] == "not_a_widow"
    only = client.get(
        f"/api/households/{number}/eligibility", params={"programme": "asd"}, headers=login("sup_province")
    )
    assert only.status_code == 200 and [d["programme"] for d in only.json()] == ["asd"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"programme": "ramed"}, 422, "unknown_programme"),
        ({"programme": "asd", "as_of": "2023-06-01"}, 422, "no_rule_in_force"),
        ({"as_of": "2026-13-01"}, 422, None),
        ({"programme": "asd; drop"}, 422, None),
        ({"model": "1999.1"}, 404, "unknown_model"),
    ],
)
def test_bad_requests_are_explained(
    client: TestClient, login: Login, number: str, params: dict[str, str], status: int, code: str | None
) -> None:
    response = client.get(f"/api/households/{number}/eligibility", params=params, headers=login("agent_a"))
    assert response.status_code == status, response.text
    if code is not None:
        error = response.json()["error"]
        assert error["code"] == code and error["message"]["ar"] and error["message"]["fr"]


def test_who_may_read(client: TestClient, login: Login, number: str) -> None:
    assert client.get(f"/api/households/{number}/eligibility", headers=login("analyst")).status_code == 403
    assert client.get(f"/api/households/{number}/eligibility", headers=login("agent_b")).status_code == 404
    assert client.get(f"/api/households/{number}/eligibility").status_code == 401
    assert client.get("/api/households/HH999999999/eligibility", headers=login("agent_a")).status_code == 404
