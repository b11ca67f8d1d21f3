"""Answering a partner's message: each search item run within the partner's territories and
fields, the message recorded (items' statuses, counts and the consent as sent, never the
records), and every query with its result count in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.dci import answers
from sijill.dci.auth import Caller
from sijill.dci.criteria import Criteria, ItemRejectedError, SearchRejectedError
from sijill.dci.envelope import RequestHeader, SearchEnvelope, SearchItem, TxnStatusEnvelope
from sijill.dci.models import DciExchange
from sijill.dci.paging import parse_pagination, parse_sort
from sijill.dci.query_parse import parse_query
from sijill.dci.search import search

# The labels' languages: Arabic and French; any other asked is answered in French and says so.
LOCALES = ("ara", "fra")
ENTITIES = ("Group", "Member")
REG_TYPE = "ns:org:RegistryType:Social"
RECENT_FOR_REFERENCES = 1_000


class DuplicateMessageError(Exception):
    """The partner sent this message_id before: nothing is run again."""


def _locale(asked: str | None) -> str:
    return asked if asked in LOCALES else "fra"


def open_exchange(
    session: Session,
    who: Caller,
    header: RequestHeader,
    action: str,
    transaction_id: str,
    *,
    references: tuple[str, ...] = (),
    sender_uri: str | None = None,
    request: dict[str, Any] | None = None,
) -> DciExchange:
    """Record a partner's message as received (`pdng`); a message_id it sent before is refused.
    An async message keeps its request until it is run, and where its answer goes."""
    exchange = DciExchange(
        partner_id=who.row.id,
        message_id=header.message_id,
        action=action,
        transaction_id=transaction_id,
        correlation_id=answers.new_id(),
        status="pdng",
        received_at=datetime.now(UTC),
        items=[{"reference_id": reference, "status": "pdng"} for reference in references],
        consent=None,
        sender_uri=sender_uri,
        request=request,
    )
    try:
        with session.begin_nested():
            session.add(exchange)
    except IntegrityError:
        raise DuplicateMessageError from None
    return exchange


def _criteria(item: SearchItem, locale: str) -> Criteria:
    asked = item.search_criteria
    entity = asked.response_entity or asked.reg_record_type or "Group"
    if entity not in ENTITIES:
        raise SearchRejectedError(
            "rjct.search_criteria.invalid",
            f"response_entity must be Group or Member, not {entity!r}",
            ar="يجب أن يكون نوع السجل المطلوب Group أو Member",
            fr="L'entité demandée doit être Group ou Member",
        )
    size, number = parse_pagination(asked.pagination)
    return Criteria(
        query=parse_query(asked.query_type, asked.query),
        entity="Group" if entity == "Group" else "Member",
        sort=parse_sort(asked.sort),
        page_size=size,
        page_number=number,
        locale=locale,
        consent=asked.consent,
    )


def rejected_item(reference_id: str, locale: str, refusal: ItemRejectedError) -> dict[str, Any]:
    message = {"ara": refusal.ar, "fra": refusal.fr}.get(locale, refusal.message)
    return {
        "reference_id": reference_id,
        "timestamp": answers.now_ts(),
        "status": "rjct",
        "status_reason_code": refusal.reason_code,
        "status_reason_message": f"{message} ({refusal.message})"[:999],
        "locale": locale,
    }


def check_reference(reference_id: str, seen: set[str], refused: type[ItemRejectedError]) -> None:
    """Each item of a message is answered by its reference_id: one given twice is refused."""
    if reference_id in seen:
        raise refused(
            "rjct.reference_id.duplicate",
            f"reference_id {reference_id!r} appears twice in this message",
            ar="رقم المرجع مكرر في هذه الرسالة",
            fr="Cette référence figure deux fois dans le message",
        )
    seen.add(reference_id)


def items_answer(
    action: str, header: RequestHeader, exchange: DciExchange, key: str, answered: list[dict[str, Any]]
) -> dict[str, Any]:
    """The answer to a message of items: each item answered, the message completed."""
    return {
        "header": answers.callback_header(
            action, "succ", receiver_id=header.sender_id, total_count=len(answered), completed_count=len(answered)
        ),
        "message": {
            "transaction_id": exchange.transaction_id,
            "correlation_id": exchange.correlation_id,
            key: answered,
        },
    }


def close_exchange(
    session: Session,
    who: Caller,
    exchange: DciExchange,
    items: list[dict[str, Any]],
    audit_action: str,
    details: dict[str, Any],
) -> None:
    """A message answered: its items' outcomes kept (never the records) and the call audited."""
    exchange.items = items
    exchange.status = "succ"
    exchange.completed_at = datetime.now(UTC)
    audit.record(
        session, who.actor, audit_action, "dci_exchange", exchange.correlation_id, who.actor.scope_code, details
    )


def answer_search(
    session: Session, who: Caller, envelope: SearchEnvelope, exchange: DciExchange | None = None
) -> dict[str, Any]:
    """The on-search answer; `exchange` is the async message's record, opened when it arrived."""
    message = envelope.message
    if exchange is None:
        exchange = open_exchange(session, who, envelope.header, "search", message.transaction_id)
    answered: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in message.search_request:
        locale = _locale(item.locale)
        try:
            check_reference(item.reference_id, seen, SearchRejectedError)
            criteria = _criteria(item, locale)
            found = search(session, who.partner, criteria)
        except SearchRejectedError as refusal:
            answered.append(rejected_item(item.reference_id, locale, refusal))
            kept.append({"reference_id": item.reference_id, "status": "rjct", "reason": refusal.reason_code})
            continue
        answered.append(
            {
                "reference_id": item.reference_id,
                "timestamp": answers.now_ts(),
                "status": "succ",
                "data": {
                    "version": answers.VERSION,
                    "reg_type": REG_TYPE,
                    "reg_record_type": criteria.entity,
                    "reg_records": found.records,
                },
                "pagination": {
                    "page_size": criteria.page_size,
                    "page_number": criteria.page_number,
                    "total_count": found.total_count,
                },
                "locale": locale,
            }
        )
        kept.append(
            {
                "reference_id": item.reference_id,
                "status": "succ",
                "query_type": item.search_criteria.query_type,
                "entity": criteria.entity,
                "returned": len(found.records),
                "total_count": found.total_count,
            }
        )
    exchange.consent = [item.search_criteria.consent or {} for item in message.search_request]
    close_exchange(
        session,
        who,
        exchange,
        kept,
        "dci.search",
        {
            "transaction_id": message.transaction_id,
            "items": kept,
            "consent_given": [bool(item.search_criteria.consent) for item in message.search_request],
        },
    )
    return items_answer("on-search", envelope.header, exchange, "search_response", answered)


def _status_items(exchange: DciExchange, wanted: set[str] | None) -> list[dict[str, Any]]:
    items = []
    for kept in exchange.items:
        if wanted is not None and kept["reference_id"] not in wanted:
            continue
        shown: dict[str, Any] = {
            "reference_id": kept["reference_id"],
            "timestamp": (exchange.completed_at or exchange.received_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": kept["status"],
        }
        if kept.get("reason"):
            shown["status_reason_code"] = kept["reason"]
        items.append(shown)
    return items


def answer_txn_status(
    session: Session, who: Caller, envelope: TxnStatusEnvelope, exchange: DciExchange | None = None
) -> dict[str, Any]:
    """Only this partner's own transactions are found: another's answer as unknown ones do."""
    message = envelope.message
    query = message.txnstatus_request
    if exchange is None:
        exchange = open_exchange(session, who, envelope.header, "txn-status", message.transaction_id)
    value = query.attribute_value
    # Receipts are not a transaction this registry takes: asked for, they are unknown.
    statement = select(DciExchange).where(DciExchange.partner_id == who.row.id, DciExchange.action == query.txn_type)
    wanted: set[str] | None = None
    if query.attribute_type == "reference_id_list":
        wanted = set(value if isinstance(value, list) else value.split(","))
        # Reference ids are looked up among the client's recent messages, not its whole history.
        recent = select(DciExchange.id).where(DciExchange.partner_id == who.row.id).order_by(DciExchange.id.desc())
        statement = statement.where(DciExchange.id.in_(recent.limit(RECENT_FOR_REFERENCES).scalar_subquery()))
    elif query.attribute_type == "correlation_id":
        statement = statement.where(DciExchange.correlation_id == str(value))
    else:
        statement = statement.where(DciExchange.transaction_id == str(value))
    found = [e for e in session.execute(statement.order_by(DciExchange.id)).scalars() if e.id != exchange.id]
    items = [item for e in found for item in _status_items(e, wanted)]
    if wanted is not None:
        found = [e for e in found if any(i["reference_id"] in wanted for i in e.items)]
    if not items:
        items = [
            {
                "reference_id": query.reference_id,
                "timestamp": answers.now_ts(),
                "status": "rjct",
                "status_reason_code": "rjct.reference_id.invalid",
                "status_reason_message": f"no {query.txn_type} transaction of this client by {query.attribute_type}",
            }
        ]
    first = found[0] if found else None
    close_exchange(
        session,
        who,
        exchange,
        [{"reference_id": query.reference_id, "status": "succ", "found": len(found)}],
        "dci.txn_status",
        {"attribute_type": query.attribute_type, "found": len(found)},
    )
    return {
        "header": answers.callback_header(
            "txn-on-status", "succ", receiver_id=envelope.header.sender_id, total_count=1, completed_count=1
        ),
        "message": {
            "transaction_id": message.transaction_id,
            "correlation_id": exchange.correlation_id,
            "txnstatus_response": {
                "txn_type": query.txn_type,
                "txn_status": {
                    "transaction_id": first.transaction_id if first else str(value if isinstance(value, str) else ""),
                    "correlation_id": first.correlation_id if first else exchange.correlation_id,
                    "search_response": items,
                },
            },
        },
    }
