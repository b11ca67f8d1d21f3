"""What the API and the command line show of files."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Label(BaseModel):
    ar: str
    fr: str


class SubmissionIn(BaseModel):
    workflow: str = Field(pattern=r"^[a-z0-9-]{1,40}$", examples=["amo-tadamon"])
    # Kept as sent, whatever it holds: the checks judge it after the receipt is given.
    form: dict[str, Any]


class CorrectionIn(BaseModel):
    form: dict[str, Any]


class ValidationIn(BaseModel):
    receipts: list[str] = Field(min_length=1, max_length=5_000)


class WithdrawalIn(BaseModel):
    reason: str = Field(min_length=1, max_length=400)


class ReceiptOut(BaseModel):
    receipt: str
    received_at: datetime
    duplicate: bool
    status: str


class ReasonOut(BaseModel):
    code: str
    field: str | None
    value: Any = None
    text: Label
    fix: Label | None


class EventOut(BaseModel):
    from_status: str | None
    to_status: str
    at: datetime
    by: str
    detail: str


class VersionOut(BaseModel):
    number: int
    submitted_by: str
    submitted_at: datetime
    form: dict[str, Any]


class ApplicationOut(BaseModel):
    receipt: str
    workflow: str
    channel: str
    annex_code: str | None
    applicant_idcs: str | None
    household: str | None
    status: str
    status_label: Label
    version: int
    reasons: list[ReasonOut]
    received_at: datetime
    validated_at: datetime | None
    transmitted_at: datetime | None
    due_on: date | None
    decided_at: datetime | None
    operator_reference: str | None
    operator_reason: str | None
    notified_at: datetime | None
    versions: list[VersionOut]
    events: list[EventOut]


class QueueItemOut(BaseModel):
    receipt: str
    workflow: str
    annex_code: str | None
    applicant_idcs: str | None
    status: str
    reasons: list[str]
    received_at: datetime
    waiting_days: int


class QueuePage(BaseModel):
    items: list[QueueItemOut]
    total: int
    page: int
    page_size: int


class StepOutcomeOut(BaseModel):
    receipt: str
    done: bool
    status: str | None


class WaitingRow(BaseModel):
    annex_code: str | None
    workflow: str
    status: str
    files: int
    oldest_received_at: datetime


class CitizenStatusOut(BaseModel):
    """What the applicant sees: this file's state and reasons, in plain words; nothing else."""

    receipt: str
    workflow: Label
    status: str
    status_label: Label
    received_at: datetime
    reasons: list[Label]
    due_on: date | None
    operator_reference: str | None


class NotificationOut(BaseModel):
    channel: str
    recipient: str | None
    text: Label
    created_at: datetime
    sent_at: datetime | None


class TransmissionOut(BaseModel):
    queued: int
    batches: int
    files: int
    failures: list[str]


class StaffMessageOut(BaseModel):
    subject: str
    body: Label
    created_at: datetime


class ComplaintIn(BaseModel):
    kind: Literal["exclusion", "inclusion", "data_error"]
    description: str = Field(min_length=1, max_length=2000)
    receipt: str | None = Field(default=None, max_length=24)
    household: str | None = Field(default=None, max_length=24)


class CitizenComplaintIn(BaseModel):
    kind: Literal["exclusion", "inclusion", "data_error"]
    description: str = Field(min_length=1, max_length=2000)
    receipt: str = Field(max_length=24)
    idcs: str = Field(max_length=10)


class ComplaintDecisionIn(BaseModel):
    upheld: bool
    outcome: str = Field(min_length=1, max_length=1000)
