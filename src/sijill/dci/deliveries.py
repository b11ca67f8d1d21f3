"""Sending what the outbox owes the partners: each message POSTed to its partner's registered
address, signed when sent, retried with back-off, and given up after the last attempt.

A row is claimed before it is sent (its next attempt pushed past a lease, in a short
transaction of its own), so that no transaction is held open across the network and two
workers never send one message twice at once; a worker that dies mid-send leaves the row to be
claimed again when the lease ends. The partner may then see a message twice: the standard's
`message_id` is what it deduplicates on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.db import begin_sqlite_write, is_postgres, transaction
from sijill.dci.models import DciDelivery, DciPartner
from sijill.dci.outbox import ABANDONED, DELIVERED, PENDING

log = logging.getLogger(__name__)

# Waits after the first, second, ... failed attempt: a partner down for a night gets its answers
# in the morning; after the last, the message is abandoned and shown to the administrator.
BACKOFF = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# Longer than one POST can take (the client's timeout), so a claimed row is not claimed again
# while it is being sent.
LEASE = timedelta(minutes=2)
# An abandoned message keeps its body this long, for an administrator to send it again.
KEEP_ABANDONED = timedelta(days=7)
# Answers that mean the same body will never be taken; anything else may pass later.
RETRYABLE_STATUS = frozenset({408, 425, 429})
WORKER = Actor.system(source="dci-delivery")

# Adds the envelope's `signature` from its header and message.
Signer = Callable[[dict[str, Any], dict[str, Any] | None], str]


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    url: str
    # The claim's own attempt number: only the latest claim of a row may record its outcome.
    attempts: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    claimed: Claimed
    # None when the partner took the message.
    error: str | None
    retryable: bool = True


@dataclass(slots=True)
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    abandoned: int = 0


def claim_due(
    factory: sessionmaker[Session], now: datetime, limit: int, only: Sequence[int] | None = None
) -> list[Claimed]:
    with transaction(factory) as session:
        query = (
            select(DciDelivery)
            .join(DciPartner, DciPartner.id == DciDelivery.partner_id)
            .where(DciDelivery.state == PENDING, DciDelivery.next_attempt_at <= now, DciPartner.is_active.is_(True))
            .order_by(DciDelivery.next_attempt_at, DciDelivery.id)
            .limit(limit)
        )
        if only is not None:
            query = query.where(DciDelivery.id.in_(list(only)))
        # Looked for first without a lock: an idle worker must not take SQLite's write lock.
        if session.execute(query.with_only_columns(DciDelivery.id)).first() is None:
            return []
        if not is_postgres(session):
            begin_sqlite_write(session)
        if is_postgres(session):
            query = query.with_for_update(skip_locked=True, of=DciDelivery)
        claimed = []
        for row in session.execute(query).scalars():
            row.attempts += 1
            row.next_attempt_at = now + LEASE
            if row.body is None:
                # Nothing left to send (erased by hand, say): closed rather than claimed forever.
                row.state, row.last_error = ABANDONED, "no content to send"
            else:
                claimed.append(Claimed(row.id, row.url, row.attempts, row.body))
        return claimed


def _refusal(response: httpx.Response) -> str | None:
    """Why a 2xx answer still refuses the message: the standard's ERR acknowledgement (a NACK
    is "received, nothing will follow": delivered)."""
    try:
        document = response.json()
    except ValueError:
        return None
    message = document.get("message") if isinstance(document, dict) else None
    ack = message.get("ack_status") if isinstance(message, dict) else None
    if ack == "ERR":
        error = message.get("error") if isinstance(message, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return f"ack {ack}" + (f" {code}" if isinstance(code, str) else "")
    return None


def send(http: httpx.Client, claimed: Claimed, sign: Signer | None) -> Outcome:
    body = dict(claimed.body)
    if sign is not None:
        body["signature"] = sign(body["header"], body.get("message"))
    try:
        response = http.post(claimed.url, json=body, headers={"Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        # The class only: a message could quote the address or the body.
        return Outcome(claimed, type(exc).__name__)
    except Exception as exc:  # an address httpx cannot even send to (InvalidURL): never will
        return Outcome(claimed, type(exc).__name__, retryable=False)
    if response.is_success:
        refused = _refusal(response)
        return Outcome(claimed, refused, retryable=False) if refused else Outcome(claimed, None)
    retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
    return Outcome(claimed, f"HTTP {response.status_code}", retryable=retryable)


def record_outcome(session: Session, outcome: Outcome, now: datetime, report: DeliveryReport) -> None:
    row = session.get(DciDelivery, outcome.claimed.id)
    # Only the latest claim records: one whose lease ran out and was claimed again has no say.
    if row is None or row.state != PENDING or row.attempts != outcome.claimed.attempts:
        return
    details = {"action": row.action, "attempts": row.attempts, "partner_id": row.partner_id}
    if outcome.error is None:
        row.state, row.delivered_at, row.body, row.last_error = DELIVERED, now, None, None
        report.delivered += 1
        audit.record(session, WORKER, "dci.callback_delivered", "dci_delivery", row.message_id, None, details)
        return
    row.last_error = outcome.error[:200]
    if not outcome.retryable or row.attempts >= MAX_ATTEMPTS:
        row.state = ABANDONED
        report.abandoned += 1
        audit.record(
            session,
            WORKER,
            "dci.callback_abandoned",
            "dci_delivery",
            row.message_id,
            None,
            {**details, "error": row.last_error},
        )
        log.warning(
            "DCI %s message %s abandoned after %d attempt(s): %s", row.action, row.id, row.attempts, row.last_error
        )
        return
    row.next_attempt_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
    report.retried += 1
    log.info("DCI %s message %s failed (%s), attempt %d", row.action, row.id, row.last_error, row.attempts)


def deliver_due(
    factory: sessionmaker[Session],
    http: httpx.Client,
    *,
    sign: Signer | None,
    now: datetime | None = None,
    limit: int = 50,
    only: Sequence[int] | None = None,
) -> DeliveryReport:
    """Send up to `limit` messages whose time has come (or those of `only`, if due), each claimed
    just before its POST, so that a lease covers one POST, never a queue of them."""
    report = DeliveryReport()
    for _ in range(limit):
        claimed = claim_due(factory, now or datetime.now(UTC), 1, only)
        if not claimed:
            break
        outcome = send(http, claimed[0], sign)
        with transaction(factory) as session:
            record_outcome(session, outcome, now or datetime.now(UTC), report)
    return report


def drop_for_partner(session: Session, partner_id: int, now: datetime) -> int:
    """A partner disabled: what it was owed is abandoned and its content erased at once, so that
    no personal data waits for a partner that will not be called again."""
    result = session.execute(
        update(DciDelivery)
        .where(DciDelivery.partner_id == partner_id, DciDelivery.state == PENDING)
        .values(state=ABANDONED, body=None, last_error="partner disabled", next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def forget_abandoned(session: Session, now: datetime) -> int:
    """Erase the bodies of messages abandoned long enough ago: personal data is not kept for a
    partner that will never take it."""
    result = session.execute(
        update(DciDelivery)
        .where(
            DciDelivery.state == ABANDONED,
            DciDelivery.body.is_not(None),
            DciDelivery.created_at < now - KEEP_ABANDONED,
        )
        .values(body=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def resend(session: Session, actor: Actor, delivery_id: int, now: datetime) -> DciDelivery | None:
    """Give an abandoned message (body still kept) a fresh set of attempts."""
    row = session.get(DciDelivery, delivery_id)
    if row is None or row.state != ABANDONED or row.body is None:
        return None
    row.state, row.attempts, row.next_attempt_at, row.last_error = PENDING, 0, now, None
    audit.record(session, actor, "dci.callback_resend", "dci_delivery", row.message_id, None, {"action": row.action})
    return row
