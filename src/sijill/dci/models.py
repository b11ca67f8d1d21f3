"""Tables owned by the DCI interface: the partner systems allowed to call it, and each message
they sent (for duplicates, transaction status and the audit of what was answered)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base, Document


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
