"""The households API: declare, read within scope, correct the index; errors in Arabic and French."""

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
def family(client: TestClient, session_factory: sessionmaker[Session]) -> dict[str, object]:
    with transaction(session_factory) as session:
        add_person(session, "5500000001", ANNEX_A, sex="M", born=date(1970, 3, 3))
        add_person(session, "5500000002", ANNEX_A, born=date(2012, 9, 9))
    return form(ANNEX_A, [member("5500000001", "head"), member("5500000002", "child", in_school=True, occupation=None)])


def test_declare_read_explain_and_correct(client: TestClient, login: Login, family: dict[str, object]) -> None:
    agent = login("agent_a")
    created = client.post("/api/households", json=family, headers=agent)
    assert created.status_code == 201, created.text
    body = created.json()
    number = body["number"]
    assert body["declaration"]["variables"]["household_size"] == 2
    assert body["score"]["model"] == "rsu-index@2026.1"
    assert {p["programme"] for p in body["score"]["programmes"]} == {"amo-tadamon", "asd"}
    assert client.get(f"/api/households/{number}", headers=agent).json()["number"] == number
    explanation = client.get(f"/api/households/{number}/score/explanation", headers=agent).json()
    assert len(explanation["contributions"]) == 35
    fridge = next(c for c in explanation["contributions"] if c["variable"] == "fridge")
    assert fridge["label_fr"] == "Réfrigérateur" and fridge["label_ar"] == "ثلاجة"
    assert explanation["score"] == pytest.approx(body["score"]["calculated"], abs=1e-6)
    correction = {"score": 9.1, "reason": "enquête sur place du 12 mai"}
    refused = client.post(f"/api/households/{number}/score/corrections", json=correction, headers=agent)
    assert refused.status_code == 403
    corrected = client.post(f"/api/households/{number}/score/corrections", json=correction, headers=login("reviewer"))
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["effective"] == 9.1 and corrected.json()["calculated"] == body["score"]["calculated"]
    events = client.get(f"/api/households/{number}/events", headers=agent).json()
    crossings = [(e["programme"], e["cause"]) for e in events]
    initial = [(p["programme"], "declaration") for p in body["score"]["programmes"] if p["within"]]
    assert crossings[: len(initial)] == initial
    # The correction to 9.1 brings the household within both thresholds: what it newly entered is traced.
    assert {p for p, cause in crossings if cause == "correction"} == {
        p["programme"] for p in body["score"]["programmes"] if not p["within"]
    }
    assert all(e["notified_at"] is None for e in events)
    history = client.get(f"/api/households/{number}/history", headers=agent).json()
    assert history["scores"][0]["corrections"][0]["reason"] == "enquête sur place du 12 mai"


def test_invalid_form_lists_every_problem(client: TestClient, login: Login, family: dict[str, object]) -> None:
    bad = {**family, "answers": {**family["answers"], "spend_butane": -1, "dwelling_type": "tent"}}  # type: ignore[dict-item]
    response = client.post("/api/households", json=bad, headers=login("agent_a"))
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "declaration_invalid"
    assert {(d["field"], d["rule"]) for d in body["details"]} == {
        ("answers.spend_butane", "out_of_range"),
        ("answers.dwelling_type", "unknown_category"),
    }
    assert body["message"]["ar"] and body["message"]["fr"]
    assert "Traceback" not in response.text


def test_other_territories_see_nothing(client: TestClient, login: Login, family: dict[str, object]) -> None:
    number = client.post("/api/households", json=family, headers=login("agent_a")).json()["number"]
    assert client.get(f"/api/households/{number}", headers=login("agent_b")).status_code == 404
    assert client.post("/api/households", json=family, headers=login("agent_b")).status_code == 404
    assert client.get(f"/api/households/{number}", headers=login("analyst")).status_code == 403
    assert client.get(f"/api/households/{number}").status_code == 401
    assert client.get("/api/households/12345", headers=login("agent_a")).status_code == 422


def test_models_are_listed_with_their_coefficients(client: TestClient, login: Login) -> None:
    agent = login("agent_a")
    listed = client.get("/api/models", headers=agent).json()
    assert [m["ref"] for m in listed] == ["rsu-index@2026.1"]
    assert listed[0]["status"] == "illustrative" and listed[0]["submodels"] is None
    one = client.get("/api/models/2026.1", headers=agent).json()
    assert len(one["submodels"]["urban"]["terms"]) == 35 and len(one["submodels"]["rural"]["terms"]) == 28
    assert client.get("/api/models/1999.1", headers=agent).status_code == 404
    assert client.get("/api/models").status_code == 401
