"""Async DCI calls (search, txn/status, subscribe, unsubscribe): the message is recorded with
its request when it arrives and acknowledged at once; it is run afterwards, by the request's
background task or, for any a crash left behind, by the worker; its answer is then owed to the
partner's callback address through the outbox, in the same transaction as the run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.db import begin_sqlite_write, is_postgres, transaction
from sijill.dci import answers
from sijill.dci.auth import Caller, caller_for
from sijill.dci.envelope import SearchEnvelope, TxnStatusEnvelope
from sijill.dci.exchanges import answer_search, answer_txn_status
from sijill.dci.models import DciExchange, DciPartner
from sijill.dci.outbox import enqueue
from sijill.dci.subscription_envelope import SubscribeEnvelope, UnsubscribeEnvelope
from sijill.dci.subscriptions import answer_subscribe, answer_unsubscribe

log = logging.getLogger(__name__)
SOURCE = "dci-async"

Answer = Callable[[Session, Caller, Any, DciExchange | None], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class AsyncCall:
    # The request's header.action, the callback's, and the scope a token needs for it.
    action: str
    reply: str
    scope: str
    model: type[BaseModel]
    answer: Answer
    # The reference ids of a message's items: shown as pending until it is run.
    references: Callable[[Any], tuple[str, ...]]
    # How many items header.total_count must announce.
    count: Callable[[Any], int]


def _only_async(answer: Callable[[Session, Caller, Any, DciExchange], dict[str, Any]]) -> Answer:
    """Subscriptions have no sync path: their exchange is always opened on arrival."""

    def run(session: Session, who: Caller, envelope: Any, exchange: DciExchange | None) -> dict[str, Any]:
        if exchange is None:
            raise TypeError("subscriptions are async only")
        return answer(session, who, envelope, exchange)

    return run


CALLS: dict[str, AsyncCall] = {
    "search": AsyncCall(
        action="search",
        reply="on-search",
        scope="registry.search",
        model=SearchEnvelope,
        answer=answer_search,
        references=lambda envelope: tuple(item.reference_id for item in envelope.message.search_request),
        count=lambda envelope: len(envelope.message.search_request),
    ),
    "subscribe": AsyncCall(
        action="subscribe",
        reply="on-subscribe",
        scope="registry.subscribe",
        model=SubscribeEnvelope,
        answer=_only_async(answer_subscribe),
        references=lambda envelope: tuple(item.reference_id for item in envelope.message.subscribe_request),
        count=lambda envelope: len(envelope.message.subscribe_request),
    ),
    "unsubscribe": AsyncCall(
        action="unsubscribe",
        reply="on-unsubscribe",
        scope="registry.subscribe",
        model=UnsubscribeEnvelope,
        answer=_only_async(answer_unsubscribe),
        references=lambda _envelope: (),
        count=lambda envelope: len(envelope.message.subscription_codes),
    ),
    "txn-status": AsyncCall(
        action="txn-status",
        reply="txn-on-status",
        scope="registry.txn-status",
        model=TxnStatusEnvelope,
        answer=answer_txn_status,
        references=lambda envelope: (envelope.message.txnstatus_request.reference_id,),
        count=lambda _envelope: 1,
    ),
}


def _failed_answer(exchange: DciExchange, call: AsyncCall, receiver: str | None) -> dict[str, Any]:
    """What the partner is told when its message could not be run: the header alone says so,
    without the cause (which stays in the server's log)."""
    return {
        "header": answers.callback_header(
            call.reply,
            "rjct",
            receiver_id=receiver,
            total_count=len(exchange.items),
            completed_count=0,
            reason_message=f"the registry could not run message {exchange.correlation_id}; send it again later",
        )
    }


def _run(session: Session, exchange: DciExchange) -> int | None:
    call = CALLS[exchange.action]
    partner = session.get(DciPartner, exchange.partner_id)
    request = exchange.request or {}
    exchange.request = None
    if partner is None or not partner.is_active or not exchange.sender_uri:
        # A partner disabled since: nothing is run for it, nothing is sent to it.
        exchange.status = "rjct"
        exchange.completed_at = datetime.now(UTC)
        exchange.items = [{**item, "status": "rjct", "reason": "rjct.requester.invalid"} for item in exchange.items]
        return None
    envelope = call.model.model_validate(request)
    who = caller_for(partner, frozenset(partner.scopes), SOURCE)
    body = call.answer(session, who, envelope, exchange)
    delivery = enqueue(session, partner_id=partner.id, exchange_id=exchange.id, url=exchange.sender_uri, body=body)
    return delivery.id


def _claim(session: Session, exchange_id: int) -> DciExchange | None:
    if not is_postgres(session):
        begin_sqlite_write(session)
    query = select(DciExchange).where(DciExchange.id == exchange_id, DciExchange.request.is_not(None))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return session.execute(query).scalar_one_or_none()


def _give_up(factory: sessionmaker[Session], exchange_id: int) -> int | None:
    with transaction(factory) as session:
        exchange = _claim(session, exchange_id)
        if exchange is None or not exchange.sender_uri:
            return None
        request = exchange.request or {}
        exchange.request = None
        exchange.status = "rjct"
        exchange.completed_at = datetime.now(UTC)
        exchange.items = [{**item, "status": "rjct"} for item in exchange.items]
        receiver = (request.get("header") or {}).get("sender_id")
        body = _failed_answer(exchange, CALLS[exchange.action], receiver)
        return enqueue(
            session, partner_id=exchange.partner_id, exchange_id=exchange.id, url=exchange.sender_uri, body=body
        ).id


def run_exchange(factory: sessionmaker[Session], exchange_id: int) -> int | None:
    """Run one waiting message; the id of the answer it owes, or None (already run, or by
    another worker now, or its partner gone). A message that fails is answered as failed rather
    than run again forever."""
    try:
        with transaction(factory) as session:
            exchange = _claim(session, exchange_id)
            return None if exchange is None else _run(session, exchange)
    except (ValidationError, KeyError, ValueError, LookupError, TypeError, ArithmeticError) as exc:
        # The class only: a validation error quotes the request, which may name a person.
        log.error("DCI async message %s could not be run (%s)", exchange_id, type(exc).__name__)
        return _give_up(factory, exchange_id)


def waiting(session: Session, older_than: timedelta, limit: int, now: datetime | None = None) -> Sequence[int]:
    """Messages received long enough ago that their own background task must have been lost."""
    moment = now or datetime.now(UTC)
    return (
        session.execute(
            select(DciExchange.id)
            .where(DciExchange.request.is_not(None), DciExchange.received_at <= moment - older_than)
            .order_by(DciExchange.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
