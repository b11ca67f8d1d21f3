"""The DCI endpoints as a partner system meets them: tokens, envelopes, refusals in the
standard's shape (each answer validated against the standard's OpenAPI file)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.models import AuditEntry
from sijill.api.app import create_app
from sijill.config import Settings
from sijill.db import transaction
from sijill.dci.mapping import FIELD_PRESETS
from sijill.dci.models import DciExchange
from sijill.population.models import Person
from tests.conftest import SYSTEM
from tests.dci.api_support import bearer, header, partner, search_envelope, search_item, token
from tests.dci.openapi_support import check_answer
from tests.dci.search_support import OTHER_PROVINCE, PROVINCE, THRESHOLD, build_world
from tests.factories import ANNEX_A, PASSWORD, PERSONS, seed_world

SEARCH = "/dci/registry/sync/search"
STATUS = "/dci/registry/sync/txn/status"


@pytest.fixture
def dci(db_url: str, engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    with transaction(session_factory) as session:
        seed_world(session, SYSTEM)
    settings = Settings(database_url=db_url, secret_key="dci-test-secret-key-0123456789abcdef0123")
    with TestClient(create_app(settings, engine)) as client:
        yield client


def _exchanges(session_factory: sessionmaker[Session]) -> int:
    with transaction(session_factory) as session:
        return int(session.execute(select(func.count()).select_from(DciExchange)).scalar_one())


def test_a_token_needs_the_client_secret(dci: TestClient, session_factory: sessionmaker[Session]) -> None:
    secret = partner(session_factory)
    good = dci.post(
        "/dci/oauth2/client/token",
        data={"grant_type": "client_credentials", "client_id": "cnss-amo", "client_secret": secret},
    )
    assert good.status_code == 200
    assert good.json()["token_type"] == "bearer" and good.json()["expires_in"] == "3600"
    wrong = dci.post(
        "/dci/oauth2/client/token",
        data={"grant_type": "client_credentials", "client_id": "cnss-amo", "client_secret": secret + "x"},
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = dci.post("/dci/oauth2/client/token", data={"grant_type": "password", "client_id": "cnss-amo"})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    scope = dci.post(
        "/dci/oauth2/client/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "cnss-amo",
            "client_secret": secret,
            "scope": "registry.subscribe",
        },
    )
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"


def test_every_dci_call_needs_a_valid_bearer_token(dci: TestClient, session_factory: sessionmaker[Session]) -> None:
    sent = search_envelope(search_item("idtype-value", {"type": "IDCS", "value": PERSONS[ANNEX_A][0]}))
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        answer = dci.post(SEARCH, json=sent, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["errors"][0]["code"] == "err.request.unauthorized"
        check_answer(SEARCH, sent, answer)
    assert _exchanges(session_factory) == 0


def test_a_staff_api_token_does_not_open_the_dci_interface(dci: TestClient) -> None:
    staff = dci.post("/api/auth/token", data={"username": "admin", "password": PASSWORD}).json()["access_token"]
    sent = search_envelope(search_item("idtype-value", {"type": "IDCS", "value": "1234567890"}))
    assert dci.post(SEARCH, json=sent, headers=bearer(staff)).status_code == 401


def test_a_scope_not_granted_is_forbidden(dci: TestClient, session_factory: sessionmaker[Session]) -> None:
    secret = partner(session_factory, scopes=["registry.txn-status"])
    issued = token(dci, "cnss-amo", secret)
    sent = search_envelope(search_item("idtype-value", {"type": "IDCS", "value": "1234567890"}))
    answer = dci.post(SEARCH, json=sent, headers=bearer(issued))
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == "err.request.forbidden"
    check_answer(SEARCH, sent, answer)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"message_ts": "2026-12-04T10:00:00"}, "header.message_ts"),
        ({"total_count": 3}, "header.total_count is 3"),
        ({"action": "subscribe"}, "header.action must be 'search'"),
        ({"version": "0.9"}, "header.version"),
    ],
)
def test_a_malformed_header_is_refused_precisely_and_nothing_is_recorded(
    dci: TestClient, session_factory: sessionmaker[Session], change: dict[str, Any], words: str
) -> None:
    issued = token(dci, "cnss-amo", partner(session_factory))
    sent = search_envelope(search_item("idtype-value", {"type": "IDCS", "value": "1234567890"}), **change)
    answer = dci.post(SEARCH, json=sent, headers=bearer(issued))
    assert answer.status_code == 400
    assert words in answer.json()["errors"][0]["message"]
    assert answer.json()["header"]["status"] == "rjct"
    check_answer(SEARCH, sent, answer)
    assert _exchanges(session_factory) == 0


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"header": {}}', b'{"header": 1, "message": 2}'])
def test_a_malformed_body_is_an_error_envelope_not_a_500(
    dci: TestClient, session_factory: sessionmaker[Session], body: bytes
) -> None:
    issued = token(dci, "cnss-amo", partner(session_factory))
    answer = dci.post(SEARCH, content=body, headers={**bearer(issued), "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "err.request.bad"
    check_answer(SEARCH, None, answer)


def test_a_message_sent_twice_is_answered_once(dci: TestClient, session_factory: sessionmaker[Session]) -> None:
    issued = token(dci, "cnss-amo", partner(session_factory))
    sent = search_envelope(search_item("idtype-value", {"type": "IDCS", "value": "1234567890"}))
    assert dci.post(SEARCH, json=sent, headers=bearer(issued)).status_code == 200
    again = dci.post(SEARCH, json=sent, headers=bearer(issued))
    assert again.status_code == 409
    assert again.json()["header"]["status_reason_code"] == "rjct.message_id.duplicate"
    check_answer(SEARCH, sent, again)
    assert _exchanges(session_factory) == 1


def test_an_unknown_transaction_has_a_status_too(dci: TestClient, session_factory: sessionmaker[Session]) -> None:
    issued = token(dci, "cnss-amo", partner(session_factory))
    sent = {
        "header": header("txn-status"),
        "message": {
            "transaction_id": "txn-status-1",
            "txnstatus_request": {
                "reference_id": "ref-s1",
                "txn_type": "search",
                "attribute_type": "transaction_id",
                "attribute_value": "never-sent",
            },
        },
    }
    answer = dci.post(STATUS, json=sent, headers=bearer(issued))
    assert answer.status_code == 200
    item = answer.json()["message"]["txnstatus_response"]["txn_status"]["search_response"][0]
    assert item["status"] == "rjct" and item["status_reason_code"] == "rjct.reference_id.invalid"
    check_answer(STATUS, sent, answer)


def test_a_search_and_its_status_are_recorded_and_audited(
    dci: TestClient, session_factory: sessionmaker[Session]
) -> None:
    issued = token(dci, "cnss-amo", partner(session_factory))
    consent = {"@type": "Consent", "ts": "2026-12-01T10:00:00Z", "purpose": {"text": "AMO Tadamon"}}
    sent = search_envelope(
        search_item("idtype-value", {"type": "IDCS", "value": PERSONS[ANNEX_A][0]}, consent=consent),
        transaction_id="txn-audited",
    )
    answer = dci.post(SEARCH, json=sent, headers=bearer(issued))
    assert answer.status_code == 200
    check_answer(SEARCH, sent, answer)
    correlation = answer.json()["message"]["correlation_id"]
    with transaction(session_factory) as session:
        exchange = session.execute(select(DciExchange)).scalar_one()
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "dci.search")).scalar_one()
    assert exchange.correlation_id == correlation and exchange.consent == [consent]
    assert entry.actor == "dci:cnss-amo" and entry.entity_id == correlation
    status = {
        "header": header("txn-status"),
        "message": {
            "transaction_id": "txn-status-2",
            "txnstatus_request": {
                "reference_id": "ref-s2",
                "txn_type": "search",
                "attribute_type": "transaction_id",
                "attribute_value": "txn-audited",
            },
        },
    }
    known = dci.post(STATUS, json=status, headers=bearer(issued))
    assert known.json()["message"]["txnstatus_response"]["txn_status"]["search_response"][0]["status"] == "succ"
    check_answer(STATUS, status, known)
    # Another partner does not see this partner's transactions.
    other = token(dci, "openimis", partner(session_factory, client_id="openimis"))
    status["header"] = header("txn-status")
    hidden = dci.post(STATUS, json=status, headers=bearer(other))
    assert hidden.json()["message"]["txnstatus_response"]["txn_status"]["search_response"][0]["status"] == "rjct"


@pytest.fixture
def registry(db_url: str, engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """The DCI interface over the households of tests/dci/search_support.py (two provinces)."""
    build_world(session_factory)
    settings = Settings(database_url=db_url, secret_key="dci-test-secret-key-0123456789abcdef0123")
    with TestClient(create_app(settings, engine)) as client:
        yield client


def test_an_insurer_of_one_province_gets_its_households_in_its_fields_only(
    registry: TestClient, session_factory: sessionmaker[Session]
) -> None:
    secret = partner(session_factory, territories=[PROVINCE], fields=list(FIELD_PRESETS["health_insurer"]))
    issued = token(registry, "cnss-amo", secret)
    below = search_item(
        "predicate",
        [{"expression1": {"attribute_name": "poverty_score", "operator": "le", "attribute_value": str(THRESHOLD)}}],
        reference_id="below",
        response_entity="Group",
        pagination={"page_size": 50, "page_number": 1},
    )
    wrong = search_item(
        "predicate",
        [{"expression1": {"attribute_name": "income", "operator": "le", "attribute_value": "3"}}],
        reference_id="wrong",
    )
    sent = search_envelope(below, wrong)
    answer = registry.post(SEARCH, json=sent, headers=bearer(issued))
    assert answer.status_code == 200
    check_answer(SEARCH, sent, answer)
    found, refused = answer.json()["message"]["search_response"]
    records = found["data"]["reg_records"]
    assert found["status"] == "succ" and records
    assert found["pagination"]["total_count"] == len(records)
    for record in records:
        assert record["poverty_score"] <= THRESHOLD
        assert record["address"][0]["sub_region_code"] == PROVINCE
        for member in record["member_list"]:
            assert "phone_number" not in member["demographic_info"]
    assert refused["status"] == "rjct" and refused["status_reason_code"] == "rjct.filter.invalid"
    assert "income" in refused["status_reason_message"]


def test_a_person_outside_the_partner_territories_is_not_found(
    registry: TestClient, session_factory: sessionmaker[Session]
) -> None:
    issued = token(registry, "cnss-amo", partner(session_factory, territories=[OTHER_PROVINCE]))
    with transaction(session_factory) as session:
        inside = session.execute(
            select(Person.idcs).where(Person.annex_code.like(PROVINCE + ".%")).limit(1)
        ).scalar_one()
    sent = search_envelope(search_item("idtype-value", {"type": "IDCS", "value": inside}, response_entity="Member"))
    answer = registry.post(SEARCH, json=sent, headers=bearer(issued))
    check_answer(SEARCH, sent, answer)
    item = answer.json()["message"]["search_response"][0]
    assert item["status"] == "succ" and item["data"]["reg_records"] == []
    assert item["pagination"]["total_count"] == 0
    assert inside not in answer.text
