"""Tables owned by the DCI interface: the partner systems allowed to call it, and each message
they sent (for duplicates, transaction status and the audit of what was answered), the
callbacks waiting to be delivered, and the partners' subscriptions to registry events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base, Document

# A document erased once used (an async request once run, a callback once delivered): None is
# stored as SQL NULL, so that "still held" is a plain IS NOT NULL.
ErasableDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class DciPartner(Base):
    """A registered partner client (a health insurer, a programme platform, a payment system)."""

    __tablename__ = "dci_partner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the client secret: the secret is 32 random bytes shown once, so a slow hash
    # would add nothing but latency to every token request.
    secret_hash: Mapped[str] = mapped_column(String(64))
    # Territory codes the partner may see (null: the whole country).
    territories: Mapped[list[str] | None] = mapped_column(Document)
    # The DCI record fields it may receive (dci/mapping.py names them).
    fields: Mapped[list[str]] = mapped_column(Document)
    # The DCI actions it may call, as OAuth scopes (registry.search, registry.subscribe, ...).
    scopes: Mapped[list[str]] = mapped_column(Document)
    # URL prefixes its `sender_uri` must start with (async calls, subscriptions): callbacks go
    # only where the partner was registered to receive them, never to an address a request names.
    callback_prefixes: Mapped[list[str] | None] = mapped_column(Document)
    # Its public signing keys, as JWKs (kty, kid, alg, x, ...), and whether requests must be
    # signed with them: off, verify (a signature present must be valid) or required.
    public_keys: Mapped[list[dict[str, Any]] | None] = mapped_column(Document)
    signature_mode: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class DciExchange(Base):
    """One request message of a partner and what became of it: its items' statuses and counts,
    never the records answered (those are read again if asked)."""

    __tablename__ = "dci_exchange"
    __table_args__ = (UniqueConstraint("partner_id", "message_id", name="uq_dci_exchange_partner_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, ForeignKey("dci_partner.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(99))
    action: Mapped[str] = mapped_column(String(20))
    transaction_id: Mapped[str] = mapped_column(String(99), index=True)
    correlation_id: Mapped[str] = mapped_column(String(99), unique=True)
    status: Mapped[str] = mapped_column(String(4))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Per item: reference_id, status, reason code, records matched; and the consent as sent.
    items: Mapped[list[dict[str, Any]]] = mapped_column(Document)
    consent: Mapped[list[dict[str, Any]] | None] = mapped_column(Document)
    # Async calls: where the answer goes, and the request waiting to be run (erased once run).
    sender_uri: Mapped[str | None] = mapped_column(String(500))
    request: Mapped[dict[str, Any] | None] = mapped_column(ErasableDocument)


class DciDelivery(Base):
    """A message Sijill owes a partner (on-search, txn-on-status, on-subscribe, on-unsubscribe,
    notify): an outbox row, retried with back-off until the partner takes it or attempts run out.
    The body holds personal data, so it is erased once delivered or abandoned."""

    __tablename__ = "dci_delivery"
    __table_args__ = (Index("ix_dci_delivery_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(Integer, ForeignKey("dci_partner.id"), index=True)
    exchange_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("dci_exchange.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(99), unique=True)
    body: Mapped[dict[str, Any] | None] = mapped_column(ErasableDocument)
    # pending, delivered or abandoned.
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What went wrong last, without personal data: an HTTP status or an exception's class.
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DciSubscription(Base):
    """A partner's standing request to be notified of registry events (a household registered,
    updated, or its index changed) that match its filter, within its territories."""

    __tablename__ = "dci_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(99), unique=True)
    partner_id: Mapped[int] = mapped_column(Integer, ForeignKey("dci_partner.id"), index=True)
    exchange_id: Mapped[int] = mapped_column(Integer, ForeignKey("dci_exchange.id"))
    reference_id: Mapped[str] = mapped_column(String(99))
    reg_event_type: Mapped[str] = mapped_column(String(99))
    filter_type: Mapped[str] = mapped_column(String(20))
    filter: Mapped[Any] = mapped_column(Document)
    notify_record_type: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(3))
    notify_uri: Mapped[str] = mapped_column(String(500))
    # Optional window the partner asked for (frequency.start_time / end_time).
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # subscribe or unsubscribe (the standard's SubscriptionStatus).
    status: Mapped[str] = mapped_column(String(12))
    # Registry changes up to this instant have been looked at for this subscription.
    seen_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
