"""Enrollment files (dossiers): from the receipt to the operator's decision, with every version,
step, transmission, callback, notification and complaint kept."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base, Document

STATUSES = (
    "received",  # receipt given, not yet checked
    "to_correct",  # a check failed: back to the agent with the reasons
    "awaiting_validation",  # every check passed: in the annex's queue
    "validated",  # an agent validated it: waiting to be sent to the operator
    "transmitted",  # the operator acknowledged it: its deadline runs
    "accepted",  # the operator enrolled the person (immatriculation number)
    "refused",  # the operator refused it, with a reason
    "withdrawn",  # closed at the applicant's request or as a duplicate
)
FINAL_STATUSES = ("accepted", "refused", "withdrawn")


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Application(Base):
    """One file for one programme: its receipt, where it is handled, its current state."""

    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint(_known("status", STATUSES), name="status_known"),
        CheckConstraint("channel IN ('annex', 'online')", name="channel_known"),
        # The same key from the same submitter is the same form: the first receipt answers.
        UniqueConstraint("submitted_by", "idempotency_key", name="uq_application_idempotency"),
        Index("ix_application_queue", "annex_code", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(20), unique=True)
    workflow: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    # Where the file is handled; None when an online form named no annex that exists (the
    # national supervisors see those).
    annex_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("territory_unit.code"))
    # The applicant's IDCS as submitted (kept even when no such person exists) and the person.
    applicant_idcs: Mapped[str | None] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("person.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("household.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    current_version: Mapped[int] = mapped_column(SmallInteger)
    # Codes of the checks the current version failed (comma-separated; empty when none).
    reasons: Mapped[str] = mapped_column(String(400), default="")
    submitted_by: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    # Hash of the workflow and form while the file is open: a second identical submission finds
    # the first. Cleared when the file closes, so a later application is a new file.
    open_content_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    validated_by: Mapped[str | None] = mapped_column(String(64))
    transmitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The operator's deadline: transmission + the workflow's days.
    due_on: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The operator's answer: its registration number, or its refusal reason code.
    operator_reference: Mapped[str | None] = mapped_column(String(40))
    operator_reason: Mapped[str | None] = mapped_column(String(60))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ApplicationVersion(Base):
    """One submitted form of a file, exactly as received: the first, then each correction."""

    __tablename__ = "application_version"

    application_id: Mapped[int] = mapped_column(Integer, ForeignKey("application.id"), primary_key=True)
    number: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    form: Mapped[dict[str, Any]] = mapped_column(Document)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What the checks found on this version: [{"code": ..., "field": ..., "value": ...}, ...]
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(Document)


class ApplicationEvent(Base):
    """Each change of a file's state, by whom and why: the file's history and the ageing reports."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(Integer, ForeignKey("application.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(400), default="")


class OperatorBatch(Base):
    """Files sent together to an operator. Written before the first attempt, so a batch is never
    lost when either side stops; sent again under the same key until the operator acknowledges it,
    and the operator keeps one decision per file id whatever the number of attempts."""

    __tablename__ = "operator_batch"
    __table_args__ = (CheckConstraint("status IN ('pending', 'acknowledged')", name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator: Mapped[str] = mapped_column(String(40))
    batch_key: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    files: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Why the last attempt failed (an HTTP status or a connection error, never a person's data).
    last_error: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Index("ix_operator_batch_pending", OperatorBatch.status, OperatorBatch.next_attempt_at)


class OperatorBatchFile(Base):
    __tablename__ = "operator_batch_file"

    batch_id: Mapped[int] = mapped_column(Integer, ForeignKey("operator_batch.id"), primary_key=True)
    application_id: Mapped[int] = mapped_column(Integer, ForeignKey("application.id"), primary_key=True)
    # What the operator knows the file by: receipt and version, so a file sent back through the
    # flow after a complaint is a new file id there.
    file_id: Mapped[str] = mapped_column(String(32), unique=True)


class OperatorCallback(Base):
    """Every signed callback an operator made, applied or refused: a repeated message changes
    nothing, and a refused one says why."""

    __tablename__ = "operator_callback"
    __table_args__ = (UniqueConstraint("operator", "message_id", name="uq_operator_callback_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # applied, or the code of the refusal (unknown_file, invalid_transition)
    result: Mapped[str] = mapped_column(String(24))


class Notification(Base):
    """A message to the applicant about a decision, in Arabic and French, through a channel."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(Integer, ForeignKey("application.id"), index=True)
    channel: Mapped[str] = mapped_column(String(12))
    recipient: Mapped[str | None] = mapped_column(String(120))
    text_ar: Mapped[str] = mapped_column(String(600))
    text_fr: Mapped[str] = mapped_column(String(600))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffMessage(Base):
    """A report sent to a member of staff (the supervisors' daily report), read back in Sijill."""

    __tablename__ = "staff_message"
    # One report of a kind per person and day, however often the job runs.
    __table_args__ = (UniqueConstraint("username", "subject", name="uq_staff_message_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), ForeignKey("app_user.username"), index=True)
    subject: Mapped[str] = mapped_column(String(120))
    body_ar: Mapped[str] = mapped_column(String(4000))
    body_fr: Mapped[str] = mapped_column(String(4000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Complaint(Base):
    """A réclamation about a file or a household: its kind, its deadline, and its outcome."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint("kind IN ('exclusion', 'inclusion', 'data_error')", name="kind_known"),
        CheckConstraint("status IN ('open', 'upheld', 'rejected')", name="status_known"),
        CheckConstraint("application_id IS NOT NULL OR household_id IS NOT NULL", name="about_something"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    application_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("application.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("household.id"), index=True)
    # Where it is handled: the file's or the household's annex.
    annex_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("territory_unit.code"))
    description: Mapped[str] = mapped_column(String(2000))
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(1000))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
