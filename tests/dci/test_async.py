"""The async DCI calls end to end: acknowledged at once, answered by a POST to a real callback
receiver on loopback, retried when the partner is down, and never sent anywhere the partner
was not registered to receive (each message validated against the standard's OpenAPI file)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.models import AuditEntry
from sijill.api.app import create_app
from sijill.db import transaction
from sijill.dci import deliveries
from sijill.dci.async_calls import run_exchange
from sijill.dci.auth import caller_for
from sijill.dci.deliveries import MAX_ATTEMPTS, claim_due, deliver_due, forget_abandoned, resend
from sijill.dci.envelope import RequestHeader
from sijill.dci.exchanges import open_exchange
from sijill.dci.mapping import FIELD_PRESETS
from sijill.dci.models import DciDelivery, DciExchange, DciPartner
from sijill.dci.outbox import enqueue
from sijill.dci.partners import deactivate_partner
from sijill.dci.signing import verify_with_jwks
from sijill.dci.worker import callback_http, run_once
from tests.conftest import SYSTEM
from tests.dci.api_support import bearer, header, partner, quiet_settings, search_envelope, search_item, token
from tests.dci.openapi_support import check_answer, check_callback
from tests.dci.receiver_support import Receiver
from tests.dci.search_support import World, build_world, member_idcs

SEARCH = "/dci/registry/search"
STATUS = "/dci/registry/txn/status"
SYNC_STATUS = "/dci/registry/sync/txn/status"


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    return build_world(session_factory)


@pytest.fixture
def dci(db_url: str, engine: Engine, world: World, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(quiet_settings(db_url, tmp_path), engine)) as client:
        yield client


def _token(dci: TestClient, factory: sessionmaker[Session], callback: Receiver, client_id: str = "cnss-amo") -> str:
    secret = partner(
        factory,
        client_id=client_id,
        fields=list(FIELD_PRESETS["all"]),
        callback_prefixes=[callback.base + "/callback/"],
    )
    return token(dci, client_id, secret)


# A member of household H1 of tests/dci/search_support.py.
MEMBER = "3100000001"


def _search(callback: Receiver, **header_changes: Any) -> dict[str, Any]:
    return search_envelope(
        search_item("idtype-value", {"type": "IDCS", "value": MEMBER}, response_entity="Member"),
        transaction_id="txn-async",
        **{"sender_uri": callback.url(), **header_changes},
    )


def _rows(factory: sessionmaker[Session], model: type[Any]) -> list[Any]:
    with transaction(factory) as session:
        rows = list(session.execute(select(model).order_by(model.id)).scalars())
        session.expunge_all()
        return rows


def test_an_async_search_is_acknowledged_then_answered_at_the_callback(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    sent = _search(partner_side)
    answer = dci.post(SEARCH, json=sent, headers=bearer(issued))
    assert answer.status_code == 200, answer.text
    check_answer(SEARCH, sent, answer)
    ack = answer.json()["message"]
    assert ack["ack_status"] == "ACK"
    [callback] = partner_side.received
    assert callback.path == "/callback/on-search"
    check_callback("/dci/registry/on-search", callback.body)
    # Signed by Sijill, checkable with the keys it publishes.
    published = dci.get("/dci/.well-known/jwks.json").json()
    verify_with_jwks(callback.body["signature"], callback.body["header"], callback.body["message"], published)
    assert callback.body["header"]["action"] == "on-search"
    assert callback.body["header"]["receiver_id"] == "cnss.example.ma"
    message = callback.body["message"]
    assert message["correlation_id"] == ack["correlation_id"] and message["transaction_id"] == "txn-async"
    [item] = message["search_response"]
    assert item["status"] == "succ"
    assert member_idcs(item["data"]["reg_records"]) == [MEMBER]
    # Once delivered, neither the request nor the answer is kept; the delivery is audited.
    [exchange] = _rows(session_factory, DciExchange)
    [delivery] = _rows(session_factory, DciDelivery)
    assert exchange.status == "succ" and exchange.request is None and exchange.items[0]["returned"] == 1
    assert delivery.state == "delivered" and delivery.body is None and delivery.attempts == 1
    assert delivery.message_id == callback.body["header"]["message_id"]
    with transaction(session_factory) as session:
        actions = set(session.execute(select(AuditEntry.action)).scalars())
    assert {"dci.search", "dci.callback_delivered"} <= actions


def test_the_same_answer_is_given_sync_and_async(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    dci.post(SEARCH, json=_search(partner_side), headers=bearer(issued))
    sync = dci.post("/dci/registry/sync/search", json=_search(partner_side), headers=bearer(issued)).json()
    [async_body] = partner_side.bodies("on-search")
    sync_item, async_item = sync["message"]["search_response"][0], async_body["message"]["search_response"][0]
    assert sync_item["data"] == async_item["data"] and sync_item["pagination"] == async_item["pagination"]


@pytest.mark.parametrize(
    ("sender_uri", "why"),
    [
        (None, "required"),
        ("http://169.254.169.254/latest/meta-data/", "not under"),
        ("{base}.evil.example/callback/on-search", "not under"),
        ("{base}/elsewhere/on-search", "not under"),
        ("ftp://127.0.0.1/callback/on-search", "not under"),
    ],
)
def test_an_answer_goes_only_where_the_partner_registered_to_receive_it(
    dci: TestClient,
    session_factory: sessionmaker[Session],
    partner_side: Receiver,
    sender_uri: str | None,
    why: str,
) -> None:
    issued = _token(dci, session_factory, partner_side)
    sent = _search(partner_side, sender_uri=sender_uri.format(base=partner_side.base) if sender_uri else None)
    if sender_uri is None:
        del sent["header"]["sender_uri"]
    answer = dci.post(SEARCH, json=sent, headers=bearer(issued))
    assert answer.status_code == 400
    check_answer(SEARCH, sent, answer)
    ack = answer.json()["message"]
    assert ack["ack_status"] == "ERR" and ack["error"]["code"] == "err.sender_uri.invalid"
    assert why in ack["error"]["message"]
    # Nothing recorded, nothing run, nothing sent.
    assert _rows(session_factory, DciExchange) == [] and _rows(session_factory, DciDelivery) == []
    assert partner_side.received == []


def test_async_refusals_are_err_acknowledgements(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    anonymous = dci.post(SEARCH, json=_search(partner_side))
    assert anonymous.status_code == 401 and anonymous.json()["errors"][0]["code"] == "err.request.unauthorized"
    check_answer(SEARCH, _search(partner_side), anonymous)
    naive = _search(partner_side, message_ts="2026-12-01T10:00:00")
    refused = dci.post(SEARCH, json=naive, headers=bearer(issued))
    assert refused.status_code == 400 and "message_ts" in refused.json()["message"]["error"]["message"]
    check_answer(SEARCH, naive, refused)
    garbage = dci.post(SEARCH, content=b"{not json", headers=bearer(issued))
    assert garbage.status_code == 400 and garbage.json()["message"]["ack_status"] == "ERR"
    sent = _search(partner_side)
    assert dci.post(SEARCH, json=sent, headers=bearer(issued)).status_code == 200
    again = dci.post(SEARCH, json=sent, headers=bearer(issued))
    assert again.status_code == 409 and "already received" in again.json()["message"]["error"]["message"]
    # Only the one accepted message was run and answered.
    assert len(_rows(session_factory, DciExchange)) == 1 and len(partner_side.received) == 1


def test_a_partner_down_gets_its_answer_on_a_later_attempt(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    partner_side.script = [503]
    assert dci.post(SEARCH, json=_search(partner_side), headers=bearer(issued)).status_code == 200
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "pending" and delivery.attempts == 1 and delivery.last_error == "HTTP 503"
    assert delivery.body is not None
    first_try = delivery.next_attempt_at.replace(tzinfo=delivery.next_attempt_at.tzinfo or UTC)
    assert timedelta(0) < first_try - datetime.now(UTC) <= timedelta(seconds=10)
    factory = session_factory
    with callback_http() as http:
        # Not due yet: nothing sent.
        assert run_once(factory, http, None).delivered.delivered == 0
        report = run_once(factory, http, None, now=datetime.now(UTC) + timedelta(seconds=11))
    assert report.delivered.delivered == 1
    first, second = partner_side.bodies("on-search")
    # The same message again: the partner deduplicates on its message_id.
    assert (first["header"], first["message"]) == (second["header"], second["message"])
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "delivered" and delivery.attempts == 2 and delivery.body is None


def test_a_message_refused_outright_is_abandoned_and_can_be_sent_again(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    partner_side.script = [400]
    dci.post(SEARCH, json=_search(partner_side), headers=bearer(issued))
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "abandoned" and delivery.last_error == "HTTP 400" and delivery.body is not None
    with transaction(session_factory) as session:
        assert resend(session, SYSTEM, delivery.id, datetime.now(UTC)) is not None
    with callback_http() as http:
        assert deliver_due(session_factory, http, sign=None).delivered == 1
    assert len(partner_side.bodies("on-search")) == 2
    with transaction(session_factory) as session:
        actions = list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())
    assert actions[-3:] == ["dci.callback_abandoned", "dci.callback_resend", "dci.callback_delivered"]


def test_attempts_run_out_and_an_abandoned_body_is_forgotten(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    partner_side.script = [503] * MAX_ATTEMPTS
    dci.post(SEARCH, json=_search(partner_side), headers=bearer(issued))
    later = datetime.now(UTC)
    with callback_http() as http:
        for _ in range(MAX_ATTEMPTS - 1):
            later += timedelta(hours=7)
            deliver_due(session_factory, http, sign=None, now=later)
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "abandoned" and delivery.attempts == MAX_ATTEMPTS
    assert len(partner_side.received) == MAX_ATTEMPTS
    with transaction(session_factory) as session:
        assert forget_abandoned(session, datetime.now(UTC) + timedelta(days=1)) == 0
        assert forget_abandoned(session, datetime.now(UTC) + deliveries.KEEP_ABANDONED + timedelta(days=1)) == 1
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.body is None


def test_an_err_acknowledgement_from_the_partner_is_not_retried(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    partner_side.acks = ["ERR"]
    dci.post(SEARCH, json=_search(partner_side), headers=bearer(issued))
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "abandoned" and delivery.last_error == "ack ERR err.request.bad"
    with callback_http() as http:
        later = run_once(session_factory, http, None, now=datetime.now(UTC) + timedelta(days=1))
    assert later.delivered.delivered == 0 and len(partner_side.received) == 1


def test_a_lost_message_is_run_by_the_worker_and_shown_pending_meanwhile(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    sent = _search(partner_side)
    # As if the process had stopped between the acknowledgement and the run.
    with transaction(session_factory) as session:
        row = session.execute(select(DciPartner)).scalar_one()
        who = caller_for(row, frozenset(row.scopes), "test")
        exchange = open_exchange(
            session,
            who,
            RequestHeader.model_validate(sent["header"]),
            "search",
            "txn-async",
            references=("ref-1",),
            sender_uri=partner_side.url(),
            request=sent,
        )
    status = {
        "header": header("txn-status"),
        "message": {
            "transaction_id": "txn-s",
            "txnstatus_request": {
                "reference_id": "ref-s",
                "txn_type": "search",
                "attribute_type": "transaction_id",
                "attribute_value": "txn-async",
            },
        },
    }
    pending = dci.post(SYNC_STATUS, json=status, headers=bearer(issued))
    check_answer(SYNC_STATUS, status, pending)
    shown = pending.json()["message"]["txnstatus_response"]["txn_status"]["search_response"]
    assert [(i["reference_id"], i["status"]) for i in shown] == [("ref-1", "pdng")]
    with callback_http() as http:
        # Too recent: its own background task may still be running it.
        assert run_once(session_factory, http, None).run == 0
        assert run_once(session_factory, http, None, now=datetime.now(UTC) + timedelta(minutes=1)).run == 1
    [body] = partner_side.bodies("on-search")
    check_callback("/dci/registry/on-search", body)
    assert body["message"]["correlation_id"] == exchange.correlation_id
    # Run once only, however many workers pass.
    assert run_exchange(session_factory, exchange.id) is None
    status["header"] = header("txn-status")
    done = dci.post(SYNC_STATUS, json=status, headers=bearer(issued)).json()
    assert done["message"]["txnstatus_response"]["txn_status"]["search_response"][0]["status"] == "succ"


def test_an_async_status_is_answered_at_the_callback(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    dci.post(SEARCH, json=_search(partner_side), headers=bearer(issued))
    status = {
        "header": header("txn-status", sender_uri=partner_side.url("/callback/on-status")),
        "message": {
            "transaction_id": "txn-s",
            "txnstatus_request": {
                "reference_id": "ref-s",
                "txn_type": "search",
                "attribute_type": "transaction_id",
                "attribute_value": "txn-async",
            },
        },
    }
    answer = dci.post(STATUS, json=status, headers=bearer(issued))
    assert answer.status_code == 200 and answer.json()["message"]["ack_status"] == "ACK"
    check_answer(STATUS, status, answer)
    [body] = partner_side.bodies("txn-on-status")
    check_callback("/dci/registry/txn/on-status", body)
    assert body["message"]["txnstatus_response"]["txn_status"]["search_response"][0]["status"] == "succ"


def test_nothing_is_sent_to_a_partner_disabled_before_its_message_ran(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    _token(dci, session_factory, partner_side)
    sent = _search(partner_side)
    with transaction(session_factory) as session:
        row = session.execute(select(DciPartner)).scalar_one()
        exchange = open_exchange(
            session,
            caller_for(row, frozenset(row.scopes), "test"),
            RequestHeader.model_validate(sent["header"]),
            "search",
            "txn-async",
            references=("ref-1",),
            sender_uri=partner_side.url(),
            request=sent,
        )
        deactivate_partner(session=session, actor=SYSTEM, client_id="cnss-amo")
    assert run_exchange(session_factory, exchange.id) is None
    [row] = _rows(session_factory, DciExchange)
    assert row.status == "rjct" and row.request is None
    assert _rows(session_factory, DciDelivery) == [] and partner_side.received == []


@pytest.mark.postgres
def test_two_workers_never_claim_the_same_message(
    backend: str, dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    if backend != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; SQLite serialises writers")
    _token(dci, session_factory, partner_side)
    with transaction(session_factory) as session:
        owner = session.execute(select(DciPartner)).scalar_one()
        for number in range(60):
            enqueue(
                session,
                partner_id=owner.id,
                exchange_id=None,
                url=partner_side.url(),
                body={"header": {"action": "notify", "message_id": f"m-{number}"}, "message": {}},
            )
    claims: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def claim(slot: int) -> None:
        start.wait()
        for _ in range(10):
            claims[slot] += [c.id for c in claim_due(session_factory, datetime.now(UTC), 5)]

    workers = [threading.Thread(target=claim, args=(slot,)) for slot in (0, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not set(claims[0]) & set(claims[1])
    assert sorted(claims[0] + claims[1]) == sorted(d.id for d in _rows(session_factory, DciDelivery))
    with transaction(session_factory) as session:
        assert session.execute(select(func.max(DciDelivery.attempts))).scalar_one() == 1


def _owe_directly(factory: sessionmaker[Session], url: str, message_id: str) -> None:
    with transaction(factory) as session:
        owner = session.execute(select(DciPartner)).scalar_one()
        enqueue(
            session,
            partner_id=owner.id,
            exchange_id=None,
            url=url,
            body={"header": {"action": "notify", "message_id": message_id}, "message": {}},
        )


def test_an_address_no_client_can_send_to_is_abandoned_and_the_rest_still_go(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    _token(dci, session_factory, partner_side)
    _owe_directly(session_factory, partner_side.base + "/callback/\x7f", "m-broken")
    _owe_directly(session_factory, partner_side.url(), "m-fine")
    with callback_http() as http:
        report = deliver_due(session_factory, http, sign=None)
    assert (report.delivered, report.abandoned) == (1, 1)
    broken, fine = _rows(session_factory, DciDelivery)
    assert broken.state == "abandoned" and broken.last_error == "InvalidURL"
    assert fine.state == "delivered" and [b["header"]["message_id"] for b in partner_side.bodies()] == ["m-fine"]


def test_a_nack_is_taken_as_delivered(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    partner_side.acks = ["NACK"]
    dci.post(SEARCH, json=_search(partner_side), headers=bearer(issued))
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "delivered" and delivery.body is None


def test_a_claim_whose_lease_ran_out_does_not_record(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    _token(dci, session_factory, partner_side)
    _owe_directly(session_factory, partner_side.url(), "m-slow")
    [first] = claim_due(session_factory, datetime.now(UTC), 1)
    # The first sender is slow; after its lease another claims the message and delivers it.
    [second] = claim_due(session_factory, datetime.now(UTC) + deliveries.LEASE + timedelta(seconds=1), 1)
    assert (first.attempts, second.attempts) == (1, 2)
    report = deliveries.DeliveryReport()
    with transaction(session_factory) as session:
        deliveries.record_outcome(session, deliveries.Outcome(second, None), datetime.now(UTC), report)
    with transaction(session_factory) as session:
        deliveries.record_outcome(
            session, deliveries.Outcome(first, "ReadTimeout", retryable=False), datetime.now(UTC), report
        )
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "delivered" and (report.delivered, report.abandoned) == (1, 0)


def test_disabling_a_partner_drops_what_it_was_owed(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    issued = _token(dci, session_factory, partner_side)
    partner_side.script = [503]
    dci.post(SEARCH, json=_search(partner_side), headers=bearer(issued))
    with transaction(session_factory) as session:
        deactivate_partner(session=session, actor=SYSTEM, client_id="cnss-amo")
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "abandoned" and delivery.body is None and delivery.last_error == "partner disabled"
    with callback_http() as http:
        assert (
            run_once(session_factory, http, None, now=datetime.now(UTC) + timedelta(hours=1)).delivered.delivered == 0
        )
    assert len(partner_side.received) == 1


def test_a_pending_message_without_content_is_closed_not_claimed_forever(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    _token(dci, session_factory, partner_side)
    _owe_directly(session_factory, partner_side.url(), "m-empty")
    with transaction(session_factory) as session:
        session.execute(update(DciDelivery).values(body=None))
    with callback_http() as http:
        assert deliver_due(session_factory, http, sign=None).delivered == 0
    [delivery] = _rows(session_factory, DciDelivery)
    assert delivery.state == "abandoned" and delivery.last_error == "no content to send"
    assert partner_side.received == []
