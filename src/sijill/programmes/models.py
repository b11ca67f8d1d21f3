"""Stored programme decisions: one run per programme and day, one decision per household."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base, Document


class EligibilityRun(Base):
    """A programme's rule applied to the whole registry as of one day, with its summary."""

    __tablename__ = "eligibility_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(40), index=True)
    # The rule version and the index model version that decided.
    rule: Mapped[str] = mapped_column(String(82))
    model: Mapped[str] = mapped_column(String(82))
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_by: Mapped[str] = mapped_column(String(64))
    households: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[int] = mapped_column(Integer)
    not_eligible: Mapped[int] = mapped_column(Integer)
    not_decidable: Mapped[int] = mapped_column(Integer)
    # Sum of the eligible households' amounts for the rule's period, and of one-off amounts.
    amount: Mapped[float] = mapped_column(Float)
    amount_once: Mapped[float] = mapped_column(Float)
    # Counts and amounts by region and milieu.
    summary: Mapped[list[dict[str, Any]]] = mapped_column(Document)


class EligibilityDecision(Base):
    """One household's decision in a run: status, reasons, amount with its lines, and the inputs
    it was taken on (so that it can be explained later whatever has changed since)."""

    __tablename__ = "eligibility_decision"
    __table_args__ = (UniqueConstraint("run_id", "household_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("eligibility_run.id"))
    household_id: Mapped[int] = mapped_column(Integer, ForeignKey("household.id"), index=True)
    declaration_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(14))
    # The codes of every condition not met, comma-separated in the rule's order (empty if none).
    reasons: Mapped[str] = mapped_column(String(400))
    index: Mapped[float | None] = mapped_column(Float)
    amount: Mapped[float | None] = mapped_column(Float)
    amount_once: Mapped[float | None] = mapped_column(Float)
    # {"lines": [...each amount...], "exclusions": [...the registry records behind each exclusion...]}
    breakdown: Mapped[dict[str, Any]] = mapped_column(Document)
    # {"members": [...as evaluated that day...]}: with the declaration and index above, what decided.
    inputs: Mapped[dict[str, Any]] = mapped_column(Document)
