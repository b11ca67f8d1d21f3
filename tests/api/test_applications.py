"""/api/applications and /api/public/applications: receipts, the queue, corrections, validation,
citizens' doors; refusals and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry
from sijill.db import transaction
from sijill.enrollment.models import Application
from sijill.enrollment.service import check_received
from tests.conftest import SYSTEM
from tests.enrollment.support import application_form, declare_family

Login = Callable[[str], dict[str, str]]


@pytest.fixture
def family(client: TestClient, session_factory: sessionmaker[Session], system_actor: Actor) -> None:
    with transaction(session_factory) as session:
        declare_family(session, system_actor)


def _count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.execute(select(func.count()).select_from(Application)).scalar_one())


def test_an_agent_takes_a_form_and_validates_it(client: TestClient, login: Login, family: None) -> None:
    agent = login("agent_a")
    sent = client.post("/api/applications", json={"workflow": "amo-tadamon", "form": application_form()}, headers=agent)
    assert sent.status_code == 201, sent.text
    receipt = sent.json()["receipt"]
    assert (sent.json()["status"], sent.json()["duplicate"]) == ("awaiting_validation", False)
    again = client.post(
        "/api/applications", json={"workflow": "amo-tadamon", "form": application_form()}, headers=agent
    )
    assert again.status_code == 200 and again.json()["receipt"] == receipt and again.json()["duplicate"]
    queue = client.get("/api/applications", params={"status": "awaiting_validation"}, headers=agent).json()
    assert [i["receipt"] for i in queue["items"]] == [receipt]
    validated = client.post(f"/api/applications/{receipt}/validation", headers=agent)
    assert validated.status_code == 200 and validated.json()["status"] == "validated"
    twice = client.post(f"/api/applications/{receipt}/validation", headers=agent)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "invalid_transition"
    shown = client.get(f"/api/applications/{receipt}", headers=login("sup_province")).json()
    assert [e["to_status"] for e in shown["events"]] == ["received", "awaiting_validation", "validated"]
    # Another annex's agent: as if there were no such file.
    assert client.get(f"/api/applications/{receipt}", headers=login("agent_b")).status_code == 404


def test_a_file_to_correct_comes_back_with_its_reasons_and_is_corrected(
    client: TestClient, login: Login, family: None
) -> None:
    agent = login("agent_a")
    form = application_form(address="ailleurs")
    sent = client.post("/api/applications", json={"workflow": "amo-tadamon", "form": form}, headers=agent).json()
    assert sent["status"] == "to_correct"
    shown = client.get(f"/api/applications/{sent['receipt']}", headers=agent).json()
    assert [(r["code"], r["field"]) for r in shown["reasons"]] == [("address_differs", "address")]
    assert shown["reasons"][0]["text"]["ar"] and shown["reasons"][0]["fix"]["fr"]
    fixed = client.post(
        f"/api/applications/{sent['receipt']}/corrections", json={"form": application_form()}, headers=agent
    )
    assert fixed.status_code == 201 and (fixed.json()["status"], fixed.json()["version"]) == ("awaiting_validation", 2)
    bulk = client.post(
        "/api/applications/validations", json={"receipts": [sent["receipt"], "AT26-00000000-0"]}, headers=agent
    )
    assert [(o["done"], o["status"]) for o in bulk.json()] == [(True, "validated"), (False, None)]


def test_citizens_send_a_form_and_follow_it_with_receipt_and_idcs(
    client: TestClient, family: None, session_factory: sessionmaker[Session]
) -> None:
    sent = client.post(
        "/api/public/applications",
        json={"workflow": "amo-tadamon", "form": application_form(phone="0600000000")},
        headers={"Idempotency-Key": "browser-tab-1"},
    )
    assert sent.status_code == 201, sent.text
    receipt = sent.json()["receipt"]
    # Counted at once; checked with the next batch.
    assert sent.json()["status"] == "received"
    with transaction(session_factory) as session:
        assert check_received(session, SYSTEM) == 1
    status = client.post("/api/public/applications/status", json={"receipt": receipt, "idcs": "7100000001"})
    assert status.status_code == 200
    body = status.json()
    assert body["status"] == "to_correct" and body["reasons"][0]["fr"].startswith("Le téléphone")
    # Only this file, in plain words: no form, no other person's number, no household.
    assert "7100000002" not in status.text and "household" not in body
    wrong = client.post("/api/public/applications/status", json={"receipt": receipt, "idcs": "7100000002"})
    assert wrong.status_code == 404
    # Failed probes leave their trace too (without the IDCS tried).
    with session_factory() as session:
        probes = session.execute(
            select(AuditEntry.entity_id, AuditEntry.details).where(AuditEntry.action == "application.citizen_status")
        ).all()
    assert [(e, json.loads(d)["found"]) for e, d in probes] == [(receipt, True), (receipt, False)]
    assert "7100000002" not in str(probes)
    assert client.get(f"/api/applications/{receipt}").status_code == 401
    assert _count(session_factory) == 1


@pytest.mark.parametrize(
    ("body", "headers", "status_code"),
    [
        ({"workflow": "ramed", "form": {}}, {}, 422),
        ({"workflow": "amo-tadamon"}, {}, 422),
        ({"workflow": "amo-tadamon", "form": "not an object"}, {}, 422),
        ({"workflow": "amo-tadamon", "form": {"x": "y" * 70_000}}, {}, 413),
        ({"workflow": "amo-tadamon", "form": {}}, {"Idempotency-Key": "k" * 81}, 422),
    ],
)
def test_bad_submissions_are_refused_without_a_file(
    client: TestClient,
    login: Login,
    family: None,
    session_factory: sessionmaker[Session],
    body: dict[str, object],
    headers: dict[str, str],
    status_code: int,
) -> None:
    response = client.post("/api/applications", json=body, headers={**login("agent_a"), **headers})
    assert response.status_code == status_code, response.text
    assert "Traceback" not in response.text and _count(session_factory) == 0


def test_a_form_that_breaks_every_rule_still_gets_a_receipt(
    client: TestClient, login: Login, family: None, session_factory: sessionmaker[Session]
) -> None:
    sent = client.post(
        "/api/applications", json={"workflow": "amo-tadamon", "form": {"note": 3}}, headers=login("agent_a")
    )
    assert sent.status_code == 201 and sent.json()["status"] == "to_correct"
    assert _count(session_factory) == 1


@pytest.mark.parametrize(
    ("user", "method", "path", "status_code"),
    [
        ("analyst", "post", "/api/applications", 403),
        ("operator", "get", "/api/applications", 403),
        ("sup_province", "post", "/api/applications/validations", 403),
        ("agent_a", "get", "/api/applications/NOT-A-RECEIPT", 422),
        ("agent_a", "get", "/api/applications?status=lost", 422),
        ("agent_a", "get", "/api/applications?annex_code=03%25", 422),
    ],
)
def test_roles_and_bad_parameters(
    client: TestClient, login: Login, family: None, user: str, method: str, path: str, status_code: int
) -> None:
    body = (
        {"workflow": "amo-tadamon", "form": application_form()}
        if path.endswith("applications")
        else {"receipts": ["x"]}
    )
    response = client.request(method, path, headers=login(user), json=body if method == "post" else None)
    assert response.status_code == status_code, response.text


def test_reports_complaints_and_messages_through_the_api(
    client: TestClient, login: Login, family: None, session_factory: sessionmaker[Session]
) -> None:
    agent = login("agent_a")
    form = application_form(address="ailleurs")
    receipt = client.post("/api/applications", json={"workflow": "amo-tadamon", "form": form}, headers=agent).json()[
        "receipt"
    ]
    ageing = client.get("/api/applications/reports/ageing", headers=login("sup_province"))
    assert ageing.status_code == 200 and [(r["step"], r["files"]) for r in ageing.json()] == [("intake", 1)]
    assert client.get("/api/applications/reports/overdue", headers=login("sup_province")).json() == []
    assert client.get(f"/api/applications/{receipt}/notifications", headers=agent).json() == []
    # No operator configured: nothing queued, nothing sent, and only administrators may ask.
    assert client.post("/api/applications/transmissions", headers=agent).status_code == 403
    sent = client.post("/api/applications/transmissions", headers=login("admin"))
    assert sent.status_code == 200 and sent.json() == {"queued": 0, "batches": 0, "files": 0, "failures": []}
    assert client.post("/api/applications/reports/daily", headers=login("admin")).json() == {"sent": 0}
    assert client.get("/api/messages", headers=login("sup_province")).json() == []

    online = client.post(
        "/api/public/complaints",
        json={"kind": "data_error", "description": "Mon adresse est juste", "receipt": receipt, "idcs": "7100000001"},
    )
    assert online.status_code == 201, online.text
    number = online.json()["number"]
    assert (
        client.post(
            "/api/public/complaints",
            json={"kind": "data_error", "description": "x", "receipt": receipt, "idcs": "7100000002"},
        ).status_code
        == 404
    )
    listed = client.get("/api/complaints", params={"status": "open"}, headers=login("reviewer")).json()
    assert [c["number"] for c in listed] == [number]
    decided = client.post(
        f"/api/complaints/{number}/decision",
        json={"upheld": False, "outcome": "adresse vérifiée"},
        headers=login("reviewer"),
    )
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"
    by_agent = client.post(
        "/api/complaints",
        json={"kind": "inclusion", "description": "revenus cachés", "receipt": receipt},
        headers=agent,
    )
    assert by_agent.status_code == 201 and by_agent.json()["receipt"] == receipt
    assert (
        client.post(
            "/api/complaints", json={"kind": "anger", "description": "x", "receipt": receipt}, headers=agent
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/complaints/{number}/decision", json={"upheld": True, "outcome": "x"}, headers=agent
        ).status_code
        == 403
    )
