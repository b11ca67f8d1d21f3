"""Subscribing and unsubscribing, on both backends: what is accepted and kept, each refusal and
its reason code, another partner's codes, the audit; every answer validated against the standard.

The helpers here are also test_notify.py's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.models import AuditEntry
from sijill.db import transaction
from sijill.dci.auth import Caller, caller_for
from sijill.dci.mapping import FIELD_PRESETS
from sijill.dci.models import DciExchange, DciPartner, DciSubscription
from sijill.dci.partners import register_partner
from sijill.dci.subscription_envelope import SubscribeEnvelope, UnsubscribeEnvelope
from sijill.dci.subscriptions import answer_subscribe, answer_unsubscribe
from tests.conftest import SYSTEM
from tests.dci.api_support import header
from tests.dci.openapi_support import check_callback
from tests.factories import seed_territory

PROVINCE = "03.02"
CALLBACKS = "https://partner.example.ma/dci/"
THRESHOLD = 9.3264284
_ids = count(1)


def register(
    factory: sessionmaker[Session],
    client_id: str,
    territories: list[str] | None,
    fields: tuple[str, ...] = FIELD_PRESETS["health_insurer"],
) -> None:
    with transaction(factory) as session:
        register_partner(
            session=session,
            actor=SYSTEM,
            client_id=client_id,
            name=client_id.upper(),
            territories=territories,
            fields=list(fields),
            scopes=["registry.search", "registry.subscribe"],
            callback_prefixes=[CALLBACKS],
        )


def caller(session: Session, client_id: str) -> Caller:
    row = session.execute(select(DciPartner).where(DciPartner.client_id == client_id)).scalar_one()
    return caller_for(row, frozenset(row.scopes), "test")


def _exchange(session: Session, who: Caller, action: str, transaction_id: str) -> DciExchange:
    # As the endpoint records it before the message is run (exchanges.open_exchange).
    exchange = DciExchange(
        partner_id=who.row.id,
        message_id=f"m-{next(_ids)}",
        action=action,
        transaction_id=transaction_id,
        correlation_id=f"corr-{next(_ids)}",
        status="pdng",
        received_at=datetime.now(UTC),
        items=[],
        consent=None,
        sender_uri=f"{CALLBACKS}{action}",
    )
    session.add(exchange)
    session.flush()
    return exchange


def stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def predicate(name: str, operator: str, value: Any) -> list[dict[str, Any]]:
    return [{"expression1": {"attribute_name": name, "operator": operator, "attribute_value": value}}]


def item(
    event: str = "REGISTER",
    filter_type: str | None = "predicate",
    query: Any = None,
    record: str = "Group",
    reference_id: str = "ref-1",
    **extra: Any,
) -> dict[str, Any]:
    criteria: dict[str, Any] = {
        "version": "1.0.0",
        "reg_type": "ns:org:RegistryType:Social",
        "reg_event_type": event,
        "filter": predicate("poverty_score", "le", THRESHOLD) if query is None else query,
        "notify_record_type": record,
        **extra.pop("criteria", {}),
    }
    if filter_type is not None:
        criteria["filter_type"] = filter_type
    return {
        "reference_id": reference_id,
        "timestamp": extra.pop("timestamp", stamp()),
        "subscribe_criteria": criteria,
        "locale": extra.pop("locale", "fra"),
        **extra,
    }


def subscribe(factory: sessionmaker[Session], client_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    """What the partner receives at on-subscribe, checked against the standard."""
    envelope = SubscribeEnvelope.model_validate(
        {
            "header": header("subscribe", len(items), sender_uri=f"{CALLBACKS}notify"),
            "message": {"transaction_id": f"t-{next(_ids)}", "subscribe_request": list(items)},
        }
    )
    with transaction(factory) as session:
        who = caller(session, client_id)
        exchange = _exchange(session, who, "subscribe", envelope.message.transaction_id)
        body = answer_subscribe(session, who, envelope, exchange)
    check_callback("/dci/registry/on-subscribe", body)
    return body


def subscribed_code(factory: sessionmaker[Session], client_id: str, **options: Any) -> str:
    answer = subscribe(factory, client_id, item(**options))["message"]["subscribe_response"][0]
    assert answer["status"] == "succ", answer
    code: str = answer["subscriptions"][0]["code"]
    return code


def unsubscribe(
    factory: sessionmaker[Session], client_id: str, *codes: str, timestamp: str | None = None
) -> dict[str, Any]:
    envelope = UnsubscribeEnvelope.model_validate(
        {
            "header": header("unsubscribe", len(codes), sender_uri=f"{CALLBACKS}on-unsubscribe"),
            "message": {
                "transaction_id": f"t-{next(_ids)}",
                "timestamp": timestamp or stamp(),
                "subscription_codes": list(codes),
            },
        }
    )
    with transaction(factory) as session:
        who = caller(session, client_id)
        exchange = _exchange(session, who, "unsubscribe", envelope.message.transaction_id)
        body = answer_unsubscribe(session, who, envelope, exchange)
    check_callback("/dci/registry/on-unsubscribe", body)
    return body


def subscriptions(factory: sessionmaker[Session]) -> list[DciSubscription]:
    with factory() as session:
        return list(session.execute(select(DciSubscription).order_by(DciSubscription.id)).scalars())


def audit_lines(factory: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with factory() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


@pytest.fixture
def partners(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(session_factory) as session:
        seed_territory(session, SYSTEM)
    register(session_factory, "cnss-amo", [PROVINCE])
    register(session_factory, "other-org", None)
    return session_factory


def _as_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# --- subscribing --------------------------------------------------------------------------------


def test_an_accepted_item_is_kept_and_answered_with_its_code(partners: sessionmaker[Session]) -> None:
    before = datetime.now(UTC)
    start, end = before + timedelta(hours=1), before + timedelta(days=30)
    frequency = {"start_time": stamp(start), "end_time": stamp(end), "frequency": "0 0 6 * * ? *"}
    body = subscribe(partners, "cnss-amo", item(criteria={"frequency": frequency}))
    assert body["header"]["action"] == "on-subscribe" and body["header"]["status"] == "succ"
    assert body["header"]["total_count"] == 1 and body["header"]["receiver_id"] == "cnss.example.ma"
    answered = body["message"]["subscribe_response"][0]
    assert answered["status"] == "succ" and answered["reference_id"] == "ref-1"
    info = answered["subscriptions"][0]
    assert info["status"] == "subscribe" and info["reg_event_type"] == "REGISTER"
    assert info["frequency"] == frequency
    assert info["filter_type"] == "predicate" and info["filter"] == predicate("poverty_score", "le", THRESHOLD)
    assert info["notify_record_type"] == "Group"
    [kept] = subscriptions(partners)
    assert kept.code == info["code"] and kept.status == "subscribe" and kept.reg_event_type == "REGISTER"
    assert kept.notify_uri == f"{CALLBACKS}subscribe" and kept.locale == "fra"
    assert _as_utc(kept.starts_at) == start.replace(microsecond=0)
    assert _as_utc(kept.ends_at) == end.replace(microsecond=0)
    # Nothing before the window's start is notified.
    assert _as_utc(kept.seen_until) == start.replace(microsecond=0)
    with partners() as session:
        exchange = session.get(DciExchange, kept.exchange_id)
        assert exchange is not None and exchange.status == "succ" and exchange.completed_at is not None
        assert body["message"]["correlation_id"] == exchange.correlation_id
        assert exchange.items == [
            {
                "reference_id": "ref-1",
                "status": "succ",
                "code": kept.code,
                "reg_event_type": "REGISTER",
                "filter_type": "predicate",
                "notify_record_type": "Group",
            }
        ]


def test_without_a_window_changes_are_seen_from_the_subscription_on(partners: sessionmaker[Session]) -> None:
    before = datetime.now(UTC)
    subscribe(partners, "cnss-amo", item(event="spdci:common:RegistryEventType:NewHouseHoldMember"))
    [kept] = subscriptions(partners)
    seen = _as_utc(kept.seen_until)
    assert seen is not None and before <= seen <= datetime.now(UTC)
    assert kept.starts_at is None and kept.ends_at is None
    # The standard's namespaced name is kept by its short one.
    assert kept.reg_event_type == "NewHouseHoldMember"


@pytest.mark.parametrize(
    ("changes", "reason", "words"),
    [
        ({"event": "BIRTH"}, "rjct.notify_types.invalid", "reg_event_type 'BIRTH' is not offered"),
        ({"event": "spdci:common:RegistryEventType:UPDATE"}, "rjct.notify_types.invalid", "not offered"),
        ({"query": predicate("income", "le", 3)}, "rjct.notify_details.invalid", "income"),
        ({"query": predicate("poverty_score", "le", "abc")}, "rjct.notify_details.invalid", "poverty_score"),
        ({"query": predicate("sex", "eq", "other")}, "rjct.notify_details.invalid", "sex"),
        (
            {"filter_type": "graphql", "query": {"type": "graphql", "value": {}}},
            "rjct.notify_details.invalid",
            "graphql",
        ),
        ({"filter_type": None}, "rjct.notify_details.invalid", "filter_type is required"),
        ({"record": "Household"}, "rjct.notify_details.invalid", "notify_record_type must be Group or Member"),
        ({"timestamp": "2026-06-01T08:00:00"}, "rjct.timestamp.invalid", "time zone"),
        ({"timestamp": "yesterday"}, "rjct.timestamp.invalid", "'yesterday'"),
        (
            {"criteria": {"frequency": {"start_time": "2030-01-02T00:00:00Z", "end_time": "2030-01-01T00:00:00Z"}}},
            "rjct.timestamp.invalid",
            "end_time must be after",
        ),
        ({"criteria": {"frequency": {"end_time": "2020-01-01T00:00:00Z"}}}, "rjct.timestamp.invalid", "already past"),
        ({"criteria": {"frequency": {"start_time": "soon"}}}, "rjct.timestamp.invalid", "frequency.start_time"),
    ],
)
def test_each_refusal_has_its_reason_and_writes_nothing(
    partners: sessionmaker[Session], changes: dict[str, Any], reason: str, words: str
) -> None:
    answered = subscribe(partners, "cnss-amo", item(**changes))["message"]["subscribe_response"][0]
    assert answered["status"] == "rjct" and answered["status_reason_code"] == reason
    assert words in answered["status_reason_message"]
    assert "subscriptions" not in answered
    assert subscriptions(partners) == []


def test_a_filter_is_refused_with_the_search_parsers_message_in_the_items_locale(
    partners: sessionmaker[Session],
) -> None:
    bad = predicate("poverty_score", "le", "abc")
    french = subscribe(partners, "cnss-amo", item(query=bad))["message"]["subscribe_response"][0]
    arabic = subscribe(partners, "cnss-amo", item(query=bad, locale="ara"))["message"]["subscribe_response"][0]
    # The localized message first, then the English in brackets, as for a refused search item.
    assert french["locale"] == "fra" and arabic["locale"] == "ara"
    english = french["status_reason_message"].split(" (", 1)[1]
    assert arabic["status_reason_message"].endswith(f"({english}")
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic["status_reason_message"])
    assert french["status_reason_message"] != arabic["status_reason_message"]


def test_items_are_independent_and_a_reference_twice_is_refused(partners: sessionmaker[Session]) -> None:
    body = subscribe(
        partners,
        "cnss-amo",
        item(reference_id="a"),
        item(event="NOPE", reference_id="b"),
        item(event="UPDATE", reference_id="a"),
        item(event="INDEX_CHANGE", reference_id="c", record="Member"),
    )
    statuses = [
        (i["reference_id"], i["status"], i.get("status_reason_code")) for i in body["message"]["subscribe_response"]
    ]
    assert statuses == [
        ("a", "succ", None),
        ("b", "rjct", "rjct.notify_types.invalid"),
        ("a", "rjct", "rjct.reference_id.duplicate"),
        ("c", "succ", None),
    ]
    assert [(s.reference_id, s.reg_event_type, s.notify_record_type) for s in subscriptions(partners)] == [
        ("a", "REGISTER", "Group"),
        ("c", "INDEX_CHANGE", "Member"),
    ]


def test_the_same_event_and_filter_twice_is_already_subscribed(partners: sessionmaker[Session]) -> None:
    places = predicate("province_code", "in", "03.02,04.04")
    subscribed_code(partners, "cnss-amo", query=places)
    # The same filter spelled otherwise, in the same message or a later one, is the same subscription.
    same = predicate("province_code", "in", ["03.02", "04.04"])
    again = subscribe(partners, "cnss-amo", item(query=same), item(query=same, reference_id="ref-2"))
    reasons = [i.get("status_reason_code") for i in again["message"]["subscribe_response"]]
    assert reasons == ["rjct.event.already_subscribed", "rjct.event.already_subscribed"]
    # Another event, another filter, another partner: other subscriptions.
    update = subscribe(partners, "cnss-amo", item(event="UPDATE", query=same))["message"]["subscribe_response"][0]
    assert update["status"] == "succ"
    # An array is echoed in the standard's {"values": [...]} form (its attribute_value is no array).
    echoed = update["subscriptions"][0]["filter"][0]["expression1"]["attribute_value"]
    assert echoed == {"values": ["03.02", "04.04"]}
    narrower = predicate("province_code", "in", "03.02")
    assert subscribe(partners, "cnss-amo", item(query=narrower))["message"]["subscribe_response"][0]["status"] == "succ"
    assert subscribe(partners, "other-org", item(query=same))["message"]["subscribe_response"][0]["status"] == "succ"
    assert len(subscriptions(partners)) == 4


def test_an_ended_subscription_can_be_taken_again(partners: sessionmaker[Session]) -> None:
    code = subscribed_code(partners, "cnss-amo")
    unsubscribe(partners, "cnss-amo", code)
    assert subscribed_code(partners, "cnss-amo") != code
    assert [s.status for s in subscriptions(partners)] == ["unsubscribe", "subscribe"]


def test_subscribing_is_audited_without_the_filter(partners: sessionmaker[Session]) -> None:
    person = {"type": "IDCS", "value": "3100000001"}
    body = subscribe(
        partners, "cnss-amo", item(filter_type="idtype-value", query=person), item(event="X", reference_id="r2")
    )
    [line] = audit_lines(partners, "dci.subscribe")
    assert line.actor == "dci:cnss-amo" and line.entity_id == body["message"]["correlation_id"]
    assert line.scope_code == PROVINCE
    assert "3100000001" not in line.details
    details = json.loads(line.details)
    assert [(i["reference_id"], i["status"]) for i in details["items"]] == [("ref-1", "succ"), ("r2", "rjct")]
    assert details["items"][1]["reason"] == "rjct.notify_types.invalid"


# --- unsubscribing ------------------------------------------------------------------------------


def test_unsubscribing_ends_the_subscription(partners: sessionmaker[Session]) -> None:
    code = subscribed_code(partners, "cnss-amo")
    body = unsubscribe(partners, "cnss-amo", code)
    assert body["header"]["action"] == "on-unsubscribe"
    answered = body["message"]
    assert answered["status"] == "succ" and "status_reason_code" not in answered
    assert answered["subscription_status"] == [{"code": code, "status": "unsubscribe"}]
    [ended] = subscriptions(partners)
    assert ended.status == "unsubscribe" and ended.ended_at is not None
    [line] = audit_lines(partners, "dci.unsubscribe")
    assert line.actor == "dci:cnss-amo" and json.loads(line.details)["codes"] == [{"code": code, "status": "succ"}]


def test_unsubscribing_twice_says_already_unsubscribed(partners: sessionmaker[Session]) -> None:
    code = subscribed_code(partners, "cnss-amo")
    unsubscribe(partners, "cnss-amo", code)
    ended_at = subscriptions(partners)[0].ended_at
    again = unsubscribe(partners, "cnss-amo", code)["message"]
    assert again["status"] == "rjct" and again["status_reason_code"] == "rjct.event.already_unsubscribed"
    assert again["subscription_status"] == [{"code": code, "status": "unsubscribe"}]
    # The first end stands.
    assert subscriptions(partners)[0].ended_at == ended_at


def test_another_partners_code_looks_exactly_like_an_unknown_one(partners: sessionmaker[Session]) -> None:
    theirs = subscribed_code(partners, "other-org")
    unknown = "0" * 32
    answers = [unsubscribe(partners, "cnss-amo", code)["message"] for code in (theirs, unknown)]
    for answer in answers:
        assert answer["status"] == "rjct" and answer["status_reason_code"] == "rjct.subscription_code.invalid"
        assert answer["subscription_status"] == []
    assert answers[0]["status_reason_message"].replace(theirs, "CODE") == answers[1]["status_reason_message"].replace(
        unknown, "CODE"
    )
    assert set(answers[0]) == set(answers[1])
    # Theirs is untouched.
    assert [s.status for s in subscriptions(partners)] == ["subscribe"]


def test_each_code_is_ended_on_its_own(partners: sessionmaker[Session]) -> None:
    first = subscribed_code(partners, "cnss-amo")
    second = subscribed_code(partners, "cnss-amo", event="UPDATE")
    unsubscribe(partners, "cnss-amo", second)
    answer = unsubscribe(partners, "cnss-amo", first, second, "nope")["message"]
    assert answer["status"] == "rjct" and answer["status_reason_code"] == "rjct.event.already_unsubscribed"
    assert f"already unsubscribed: {second}" in answer["status_reason_message"]
    assert "no subscription of this client: nope" in answer["status_reason_message"]
    assert answer["subscription_status"] == [
        {"code": first, "status": "unsubscribe"},
        {"code": second, "status": "unsubscribe"},
    ]
    assert [s.status for s in subscriptions(partners)] == ["unsubscribe", "unsubscribe"]


def test_a_bad_unsubscribe_timestamp_ends_nothing(partners: sessionmaker[Session]) -> None:
    code = subscribed_code(partners, "cnss-amo")
    answer = unsubscribe(partners, "cnss-amo", code, timestamp="2026-06-01 08:00")["message"]
    assert answer["status"] == "rjct" and answer["status_reason_code"] == "rjct.timestamp.invalid"
    assert answer["subscription_status"] == []
    assert [s.status for s in subscriptions(partners)] == ["subscribe"]
