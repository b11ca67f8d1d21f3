"""Stored programme decisions: one run per programme and day, one decision per household."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base, Document

# Written a million at a time and read whole, never searched inside: plain JSON, which PostgreSQL
# stores as text (1M documents of three members: 4.4 s against 14 s as JSONB).
WholeDocument = JSON()


class EligibilitySnapshot(Base):
    """The inputs one national run read, as of its day: shared by the programmes it decided."""

    __tablename__ = "eligibility_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    model: Mapped[str] = mapped_column(String(82))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SnapshotHousehold(Base):
    """One household's facts in a snapshot: its declaration, index, and members as evaluated that
    day, so that a decision can be explained later whatever has changed since."""

    __tablename__ = "eligibility_snapshot_household"

    snapshot_id: Mapped[int] = mapped_column(Integer, ForeignKey("eligibility_snapshot.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, ForeignKey("household.id"), primary_key=True)
    # {"members": [...facts of each member...]}
    inputs: Mapped[dict[str, Any]] = mapped_column(WholeDocument)


class EligibilityRun(Base):
    """A programme's rule applied to the whole registry as of one day, with its summary."""

    __tablename__ = "eligibility_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(Integer, ForeignKey("eligibility_snapshot.id"), index=True)
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
    """One household's decision in a run: status, reasons, amount with its lines; the inputs it
    was taken on are its run's snapshot's."""

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
    breakdown: Mapped[dict[str, Any]] = mapped_column(WholeDocument)
