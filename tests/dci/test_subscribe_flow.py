"""A subscription over HTTP, end to end: subscribe, a household registered at the counter, the
`notify` at the partner's real callback receiver on loopback (signed, in the standard's shape),
then unsubscribe and silence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sijill.api.app import create_app
from sijill.db import transaction
from sijill.dci.mapping import FIELD_PRESETS
from sijill.dci.signing import verify_with_jwks
from sijill.dci.worker import callback_http, run_once
from tests.conftest import SYSTEM
from tests.dci.api_support import bearer, header, partner, quiet_settings, token
from tests.dci.openapi_support import check_answer, check_callback
from tests.dci.receiver_support import Receiver
from tests.dci.test_notify import declare
from tests.dci.test_subscriptions import item, predicate
from tests.factories import ANNEX_A, seed_territory

SUBSCRIBE = "/dci/registry/subscribe"
UNSUBSCRIBE = "/dci/registry/unsubscribe"


@pytest.fixture
def dci(db_url: str, engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[TestClient]:
    with transaction(session_factory) as session:
        seed_territory(session, SYSTEM)
    with TestClient(create_app(quiet_settings(db_url, tmp_path), engine)) as client:
        yield client


def _pass(factory: sessionmaker[Session], dci: TestClient) -> None:
    """A worker pass a little later (a window ends a few seconds before the pass's time)."""
    with callback_http() as http:
        run_once(factory, http, dci.app.state.dci_signer, now=datetime.now(UTC) + timedelta(seconds=10))  # type: ignore[attr-defined]


def _verified(dci: TestClient, body: dict[str, Any]) -> None:
    verify_with_jwks(
        body["signature"], body["header"], body.get("message"), dci.get("/dci/.well-known/jwks.json").json()
    )


def test_a_subscriber_is_notified_of_a_new_household_until_it_unsubscribes(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    secret = partner(
        session_factory,
        fields=list(FIELD_PRESETS["all"]),
        scopes=["registry.search", "registry.subscribe"],
        callback_prefixes=[partner_side.base + "/callback/"],
    )
    issued = token(dci, "cnss-amo", secret)
    sent = {
        "header": header("subscribe", sender_uri=partner_side.url("/callback/events")),
        "message": {
            "transaction_id": "txn-sub",
            "subscribe_request": [item(query=predicate("group_size", "ge", 1))],
        },
    }
    answer = dci.post(SUBSCRIBE, json=sent, headers=bearer(issued))
    assert answer.status_code == 200, answer.text
    check_answer(SUBSCRIBE, sent, answer)
    [subscribed] = partner_side.bodies("on-subscribe")
    check_callback("/dci/registry/on-subscribe", subscribed)
    _verified(dci, subscribed)
    assert subscribed["message"]["correlation_id"] == answer.json()["message"]["correlation_id"]
    [accepted] = subscribed["message"]["subscribe_response"]
    assert accepted["status"] == "succ"
    code = accepted["subscriptions"][0]["code"]

    number, _members = declare(session_factory, ANNEX_A)
    _pass(session_factory, dci)
    [notified] = partner_side.bodies("notify")
    check_callback("/dci/registry/notify", notified)
    _verified(dci, notified)
    [event] = notified["message"]["notify_event"]
    assert event["data"]["reg_event_type"] == "REGISTER"
    assert event["data"]["reg_records"]["group_identifier"][0]["identifier_value"] == number

    stop = {
        "header": header("unsubscribe", sender_uri=partner_side.url("/callback/events")),
        "message": {"transaction_id": "txn-unsub", "timestamp": header()["message_ts"], "subscription_codes": [code]},
    }
    ended = dci.post(UNSUBSCRIBE, json=stop, headers=bearer(issued))
    assert ended.status_code == 200 and ended.json()["message"]["ack_status"] == "ACK"
    [unsubscribed] = partner_side.bodies("on-unsubscribe")
    check_callback("/dci/registry/on-unsubscribe", unsubscribed)
    assert unsubscribed["message"]["subscription_status"] == [{"code": code, "status": "unsubscribe"}]

    declare(session_factory, ANNEX_A)
    _pass(session_factory, dci)
    assert len(partner_side.bodies("notify")) == 1


def test_subscribing_needs_the_subscribe_scope(
    dci: TestClient, session_factory: sessionmaker[Session], partner_side: Receiver
) -> None:
    secret = partner(session_factory, callback_prefixes=[partner_side.base + "/callback/"])
    issued = token(dci, "cnss-amo", secret)
    sent = {
        "header": header("subscribe", sender_uri=partner_side.url("/callback/events")),
        "message": {"transaction_id": "txn-sub", "subscribe_request": [item()]},
    }
    refused = dci.post(SUBSCRIBE, json=sent, headers=bearer(issued))
    assert refused.status_code == 403
    check_answer(SUBSCRIBE, sent, refused)
    assert refused.json()["errors"][0]["code"] == "err.request.forbidden"
    assert partner_side.received == []
