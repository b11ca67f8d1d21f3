"""The messages Sijill owes its partners (async answers, subscription answers, notifications):
written in the transaction that produced them, then delivered by `deliveries.py`, so that an
answer is never lost to a crash and never sent for a change that rolled back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sijill.dci.models import DciDelivery

PENDING = "pending"
DELIVERED = "delivered"
ABANDONED = "abandoned"
# The standard's callback actions: the receiver tells the payloads apart by `header.action`.
CALLBACK_ACTIONS = ("on-search", "txn-on-status", "on-subscribe", "on-unsubscribe", "notify")


def enqueue(
    session: Session,
    *,
    partner_id: int,
    exchange_id: int | None,
    url: str,
    body: dict[str, Any],
) -> DciDelivery:
    """Owe `body` (header and message, unsigned: it is signed when sent) to the partner at `url`."""
    header = body["header"]
    if header["action"] not in CALLBACK_ACTIONS:
        raise ValueError(f"not a callback action: {header['action']!r}")
    now = datetime.now(UTC)
    delivery = DciDelivery(
        partner_id=partner_id,
        exchange_id=exchange_id,
        action=header["action"],
        url=url,
        message_id=header["message_id"],
        body=body,
        state=PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error=None,
        created_at=now,
        delivered_at=None,
    )
    session.add(delivery)
    session.flush()
    return delivery
