"""GET /api/households/{number}/eligibility: decisions with reasons in Arabic and French; bad input."""

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
def number(client: TestClient, login: Login, session_factory: sessionmaker[Session]) -> str:
    with transaction(session_factory) as session:
        add_person(session, "6600000001", ANNEX_A, sex="M", born=date(1970, 3, 3))
        add_person(session, "6600000002", ANNEX_A, born=date(2016, 9, 9))
    family = form(
        ANNEX_A, [member("6600000001", "head"), member("6600000002", "child", in_school=True, occupation=None)]
    )
    created = client.post("/api/households", json=family, headers=login("agent_a"))
    assert created.status_code == 201, created.text
    found: str = created.json()["number"]
    correction = {"score": 9.1, "reason": "enquête sur place du 2 juin"}
    corrected = client.post(f"/api/households/{found}/score/corrections", json=correction, headers=login("reviewer"))
    assert corrected.status_code == 201, corrected.text
    return found


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
