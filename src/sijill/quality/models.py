"""Data-quality runs and the alerts they raise, each with its explanation and its evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base, Document


class QualityRun(Base):
    """One run of every detector (`sijill quality run`, daily)."""

    __tablename__ = "quality_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope_code: Mapped[str | None] = mapped_column(String(32))
    run_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    alerts: Mapped[int] = mapped_column(Integer)
    # Seconds of each detector.
    seconds: Mapped[dict[str, Any]] = mapped_column(Document)


class QualityAlert(Base):
    """Something a detector found: where, how strongly, why in words, and where the evidence is."""

    __tablename__ = "quality_alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("quality_run.id"), index=True)
    detector: Mapped[str] = mapped_column(String(40))
    # The annex the alert is about: what scopes it to a reader.
    territory_code: Mapped[str] = mapped_column(String(32), index=True)
    # How far out of the ordinary (a z-score, a count): alerts are ranked by it.
    score: Mapped[float] = mapped_column(Float)
    # {"ar": ..., "fr": ..., "en": ...}
    explanation: Mapped[dict[str, Any]] = mapped_column(Document)
    # The figures behind it, and "link": the report (API path) that shows them.
    evidence: Mapped[dict[str, Any]] = mapped_column(Document)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QualityChecked(Base):
    """How many records of one entity a run checked, per annex and agent: the denominators."""

    __tablename__ = "quality_checked"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("quality_run.id"), index=True)
    entity: Mapped[str] = mapped_column(String(16))
    annex_code: Mapped[str] = mapped_column(String(32))
    # Who entered the records: the registering user of a person, the declaring agent of a household.
    agent: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(Integer)


class QualityViolationCount(Base):
    """How many records broke one data rule in a run, per annex and agent: the trend's points."""

    __tablename__ = "quality_violation_count"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("quality_run.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    annex_code: Mapped[str] = mapped_column(String(32))
    agent: Mapped[str] = mapped_column(String(64))
    violations: Mapped[int] = mapped_column(Integer)
