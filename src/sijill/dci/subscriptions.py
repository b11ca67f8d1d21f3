"""Subscribing to registry events and unsubscribing: each subscribe item checked on its own
(event type, filter, record type, window) and, when accepted, kept as a standing query that
notify.py runs at every sweep; docs/dci-subscriptions.md says what each event means.

Items are independent, as a search's are: one refused item leaves the others accepted. The
filter is read by the search's own parser, so a subscription's filter means what the same search
means, and is refused with the same precise message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sijill.db import is_postgres
from sijill.dci import answers
from sijill.dci.auth import Caller
from sijill.dci.criteria import Filter, IdLookup, ItemRejectedError, SearchRejectedError
from sijill.dci.exchanges import LOCALES, REG_TYPE, check_reference, close_exchange, items_answer, rejected_item
from sijill.dci.models import DciExchange, DciPartner, DciSubscription
from sijill.dci.query_parse import parse_query
from sijill.dci.subscription_envelope import SubscribeEnvelope, SubscribeItem, UnsubscribeEnvelope

SUBSCRIBED = "subscribe"
UNSUBSCRIBED = "unsubscribe"
# The two the standard's notify enum names, then Sijill's own (docs/dci-subscriptions.md).
REGISTER = "REGISTER"
NEW_MEMBER = "NewHouseHoldMember"
UPDATE = "UPDATE"
INDEX_CHANGE = "INDEX_CHANGE"
EVENT_TYPES = (REGISTER, NEW_MEMBER, UPDATE, INDEX_CHANGE)
STANDARD_EVENT_TYPES = (REGISTER, NEW_MEMBER)
# The namespaced spelling the standard's notify schema describes for its own two.
STANDARD_EVENT_PREFIX = "spdci:common:RegistryEventType:"
RECORD_TYPES = ("Group", "Member")

# The standard's SubscribeStatusReasonCode and UnSubscribeStatusReasonCode values used here.
SUBSCRIBE_REASONS = (
    "rjct.reference_id.duplicate",
    "rjct.timestamp.invalid",
    "rjct.notify_types.invalid",
    "rjct.notify_details.invalid",
    "rjct.event.already_subscribed",
)


class SubscriptionRejectedError(ItemRejectedError):
    REASONS = SUBSCRIBE_REASONS


@dataclass(frozen=True, slots=True)
class Window:
    starts_at: datetime | None
    ends_at: datetime | None


def _locale(asked: str | None) -> str:
    return asked if asked in LOCALES else "fra"


def read_timestamp(text: str | None) -> datetime | None:
    """An ISO 8601 instant with its offset, in UTC; None when it is not one."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _timestamp_error(what: str, value: str | None) -> SubscriptionRejectedError:
    shown = repr(value)[:60]
    return SubscriptionRejectedError(
        "rjct.timestamp.invalid",
        f"{what} must be an ISO 8601 date-time with its time zone (2026-06-01T08:00:00Z), not {shown}",
        ar=f"يجب أن يكون {what} تاريخا وتوقيتا وفق ISO 8601 مع المنطقة الزمنية، وليس {shown}",
        fr=f"{what} doit être une date-heure ISO 8601 avec son fuseau horaire, pas {shown}",
    )


def canonical_event_type(asked: str) -> str | None:
    """The event type Sijill offers under this name (its own, or the standard's namespaced)."""
    if asked in EVENT_TYPES:
        return asked
    if asked.startswith(STANDARD_EVENT_PREFIX) and asked[len(STANDARD_EVENT_PREFIX) :] in STANDARD_EVENT_TYPES:
        return asked[len(STANDARD_EVENT_PREFIX) :]
    return None


def parse_filter(filter_type: str, raw: object) -> IdLookup | Filter:
    """A subscription's filter, read exactly as the same search query would be."""
    try:
        return parse_query(filter_type, raw)
    except SearchRejectedError as refusal:
        raise SubscriptionRejectedError(
            "rjct.notify_details.invalid", refusal.message, ar=refusal.ar, fr=refusal.fr
        ) from None


def _event_type(item: SubscribeItem) -> str:
    asked = item.subscribe_criteria.reg_event_type
    found = canonical_event_type(asked)
    if found is None:
        known = ", ".join(EVENT_TYPES)
        shown = repr(asked)[:60]
        raise SubscriptionRejectedError(
            "rjct.notify_types.invalid",
            f"reg_event_type {shown} is not offered; offered: {known}",
            ar=f"نوع الحدث {shown} غير متاح؛ المتاح: {known}",
            fr=f"le type d'événement {shown} n'est pas proposé ; proposés : {known}",
        )
    return found


def _record_type(item: SubscribeItem) -> str:
    asked = item.subscribe_criteria.notify_record_type
    if asked not in RECORD_TYPES:
        shown = repr(asked)[:60]
        raise SubscriptionRejectedError(
            "rjct.notify_details.invalid",
            f"notify_record_type must be Group or Member, not {shown}",
            ar="يجب أن يكون نوع السجل المبلغ Group أو Member",
            fr="Le type d'enregistrement notifié doit être Group ou Member",
        )
    return asked


def _filter(item: SubscribeItem) -> tuple[str, IdLookup | Filter]:
    criteria = item.subscribe_criteria
    if criteria.filter_type is None:
        # The filter's form cannot be told from its shape (the standard's anyOf admits any
        # {type, value} as two of them), so it is never guessed.
        raise SubscriptionRejectedError(
            "rjct.notify_details.invalid",
            "filter_type is required: idtype-value, expression or predicate",
            ar="يجب تحديد filter_type: idtype-value أو expression أو predicate",
            fr="filter_type est obligatoire : idtype-value, expression ou predicate",
        )
    return criteria.filter_type, parse_filter(criteria.filter_type, criteria.filter)


def _window(item: SubscribeItem, now: datetime) -> Window:
    frequency = item.subscribe_criteria.frequency
    if frequency is None:
        return Window(None, None)
    starts = read_timestamp(frequency.start_time)
    ends = read_timestamp(frequency.end_time)
    if frequency.start_time is not None and starts is None:
        raise _timestamp_error("frequency.start_time", frequency.start_time)
    if frequency.end_time is not None and ends is None:
        raise _timestamp_error("frequency.end_time", frequency.end_time)
    if starts is not None and ends is not None and ends <= starts:
        raise SubscriptionRejectedError(
            "rjct.timestamp.invalid",
            "frequency.end_time must be after frequency.start_time",
            ar="يجب أن يكون frequency.end_time بعد frequency.start_time",
            fr="frequency.end_time doit être postérieur à frequency.start_time",
        )
    if ends is not None and ends <= now:
        raise SubscriptionRejectedError(
            "rjct.timestamp.invalid",
            "frequency.end_time is already past: such a subscription would never notify",
            ar="frequency.end_time قد مضى: لن يصدر هذا الاشتراك أي إشعار",
            fr="frequency.end_time est déjà passé : cet abonnement ne notifierait jamais",
        )
    return Window(starts, ends)


def _active(session: Session, partner_id: int, now: datetime) -> list[DciSubscription]:
    return list(
        session.execute(
            select(DciSubscription)
            .where(
                DciSubscription.partner_id == partner_id,
                DciSubscription.status == SUBSCRIBED,
                or_(DciSubscription.ends_at.is_(None), DciSubscription.ends_at > now),
            )
            .order_by(DciSubscription.id)
        ).scalars()
    )


def _standing(subscriptions: list[DciSubscription]) -> list[tuple[str, IdLookup | Filter]]:
    """What the partner's active subscriptions ask, compared by meaning rather than spelling
    (`"in": "a,b"` and `["a", "b"]` are one filter)."""
    kept = []
    for subscription in subscriptions:
        try:
            kept.append((subscription.reg_event_type, parse_filter(subscription.filter_type, subscription.filter)))
        except SubscriptionRejectedError:
            # Accepted under an older parser: it cannot be what a valid new filter asks.
            continue
    return kept


def _echoed(filter_type: str, raw: Any) -> Any:
    """The filter as the standard can carry it back, same meaning: an `in` list (the standard's
    attribute_value cannot be an array) in its `{"values": [...]}` form, and an integer as its
    digits (the standard's oneOf of integer and number refuses every integer)."""
    if filter_type != "predicate" or not isinstance(raw, list):
        return raw

    def expression(part: Any) -> Any:
        if not isinstance(part, dict):
            return part
        value = part.get("attribute_value")
        if isinstance(value, list):
            return {**part, "attribute_value": {"values": value}}
        if isinstance(value, int) and not isinstance(value, bool):
            return {**part, "attribute_value": str(value)}
        return part

    return [
        {key: expression(value) if key in ("expression1", "expression2") else value for key, value in entry.items()}
        if isinstance(entry, dict)
        else entry
        for entry in raw
    ]


def _info(subscription: DciSubscription, item: SubscribeItem) -> dict[str, Any]:
    criteria = item.subscribe_criteria
    info: dict[str, Any] = {
        "version": answers.VERSION,
        "code": subscription.code,
        "status": SUBSCRIBED,
        "timestamp": answers.now_ts(),
        "reg_type": REG_TYPE,
        "reg_event_type": subscription.reg_event_type,
        "filter_type": subscription.filter_type,
        "filter": _echoed(subscription.filter_type, subscription.filter),
        "notify_record_type": subscription.notify_record_type,
        "locale": subscription.locale,
    }
    frequency = criteria.frequency
    # The standard's frequency requires its three parts: echoed only when the partner sent them.
    if frequency is not None and frequency.start_time and frequency.end_time and frequency.frequency:
        info["frequency"] = {
            "start_time": frequency.start_time,
            "end_time": frequency.end_time,
            "frequency": frequency.frequency,
        }
    return info


def answer_subscribe(
    session: Session, who: Caller, envelope: SubscribeEnvelope, exchange: DciExchange
) -> dict[str, Any]:
    """The on-subscribe body; one subscription written per accepted item, notified from now on."""
    if not exchange.sender_uri:
        raise ValueError("a subscription needs the exchange's sender_uri: notifications go there")
    message = envelope.message
    now = datetime.now(UTC)
    if is_postgres(session):
        # One subscribe message of a partner at a time, so that two sent at once cannot both
        # find no standing subscription and both add the same one (SQLite has one writer anyway).
        session.execute(select(DciPartner.id).where(DciPartner.id == who.row.id).with_for_update())
    standing = _standing(_active(session, who.row.id, now))
    answered: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in message.subscribe_request:
        locale = _locale(item.locale)
        try:
            check_reference(item.reference_id, seen, SubscriptionRejectedError)
            if read_timestamp(item.timestamp) is None:
                raise _timestamp_error("timestamp", item.timestamp)
            event_type = _event_type(item)
            record_type = _record_type(item)
            filter_type, parsed = _filter(item)
            window = _window(item, now)
            if (event_type, parsed) in standing:
                raise SubscriptionRejectedError(
                    "rjct.event.already_subscribed",
                    f"this client already has an active {event_type} subscription with this filter",
                    ar=f"لهذا الشريك اشتراك نشط في {event_type} بنفس المرشح",
                    fr=f"ce client a déjà un abonnement {event_type} actif avec ce filtre",
                )
        except SubscriptionRejectedError as refusal:
            answered.append(rejected_item(item.reference_id, locale, refusal))
            kept.append({"reference_id": item.reference_id, "status": "rjct", "reason": refusal.reason_code})
            continue
        subscription = DciSubscription(
            code=answers.new_id(),
            partner_id=who.row.id,
            exchange_id=exchange.id,
            reference_id=item.reference_id,
            reg_event_type=event_type,
            filter_type=filter_type,
            filter=item.subscribe_criteria.filter,
            notify_record_type=record_type,
            locale=locale,
            notify_uri=exchange.sender_uri,
            starts_at=window.starts_at,
            ends_at=window.ends_at,
            status=SUBSCRIBED,
            # Only what changes from now on (or from the window's start) is notified: a new
            # subscription is not a way to read the registry's past.
            seen_until=max(now, window.starts_at or now),
            created_at=now,
            ended_at=None,
        )
        session.add(subscription)
        standing.append((event_type, parsed))
        answered.append(
            {
                "reference_id": item.reference_id,
                "timestamp": answers.now_ts(),
                "status": "succ",
                "subscriptions": [_info(subscription, item)],
                "locale": locale,
            }
        )
        # The filter is not kept here nor audited: an idtype-value filter names a person.
        kept.append(
            {
                "reference_id": item.reference_id,
                "status": "succ",
                "code": subscription.code,
                "reg_event_type": event_type,
                "filter_type": filter_type,
                "notify_record_type": record_type,
            }
        )
    session.flush()
    close_exchange(
        session, who, exchange, kept, "dci.subscribe", {"transaction_id": message.transaction_id, "items": kept}
    )
    return items_answer("on-subscribe", envelope.header, exchange, "subscribe_response", answered)


def answer_unsubscribe(
    session: Session, who: Caller, envelope: UnsubscribeEnvelope, exchange: DciExchange
) -> dict[str, Any]:
    """The on-unsubscribe body. Each code is ended on its own; the answer's single status is
    `succ` only when every code was ended by this message, otherwise `rjct` with the first
    problem's reason, and `subscription_status` tells where each of the client's codes stands.
    A code of another client is answered exactly as a code that does not exist."""
    message = envelope.message
    now = datetime.now(UTC)
    codes = list(dict.fromkeys(message.subscription_codes))
    status_list: list[dict[str, str]] = []
    kept: list[dict[str, Any]] = []
    problems: dict[str, list[str]] = {}
    if read_timestamp(message.timestamp) is None:
        problems["rjct.timestamp.invalid"] = []
        kept = [{"code": code, "status": "rjct", "reason": "rjct.timestamp.invalid"} for code in codes]
    else:
        owned = {
            s.code: s
            for s in session.execute(
                select(DciSubscription).where(DciSubscription.partner_id == who.row.id, DciSubscription.code.in_(codes))
            ).scalars()
        }
        for code in codes:
            subscription = owned.get(code)
            if subscription is None:
                problems.setdefault("rjct.subscription_code.invalid", []).append(code)
                kept.append({"code": code, "status": "rjct", "reason": "rjct.subscription_code.invalid"})
                continue
            if subscription.status == UNSUBSCRIBED:
                problems.setdefault("rjct.event.already_unsubscribed", []).append(code)
                kept.append({"code": code, "status": "rjct", "reason": "rjct.event.already_unsubscribed"})
            else:
                subscription.status = UNSUBSCRIBED
                subscription.ended_at = now
                kept.append({"code": code, "status": "succ"})
            status_list.append({"code": code, "status": UNSUBSCRIBED})
    session.flush()
    close_exchange(
        session, who, exchange, kept, "dci.unsubscribe", {"transaction_id": message.transaction_id, "codes": kept}
    )
    body: dict[str, Any] = {
        "transaction_id": message.transaction_id,
        "correlation_id": exchange.correlation_id,
        "timestamp": answers.now_ts(),
        "status": "rjct" if problems else "succ",
        "subscription_status": status_list,
    }
    if problems:
        body["status_reason_code"] = next(iter(problems))
        body["status_reason_message"] = _unsubscribe_message(problems, message.timestamp)[:999]
    return {
        "header": answers.callback_header(
            "on-unsubscribe",
            "succ",
            receiver_id=envelope.header.sender_id,
            total_count=len(codes),
            completed_count=len(codes),
        ),
        "message": body,
    }


def _unsubscribe_message(problems: dict[str, list[str]], timestamp: str) -> str:
    parts = []
    if "rjct.timestamp.invalid" in problems:
        parts.append(
            f"timestamp must be an ISO 8601 date-time with its time zone, not {timestamp!r:.60}; nothing was ended"
        )
    if "rjct.subscription_code.invalid" in problems:
        parts.append("no subscription of this client: " + ", ".join(problems["rjct.subscription_code.invalid"]))
    if "rjct.event.already_unsubscribed" in problems:
        parts.append("already unsubscribed: " + ", ".join(problems["rjct.event.already_unsubscribed"]))
    return "; ".join(parts)
