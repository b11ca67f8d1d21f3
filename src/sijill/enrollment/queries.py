"""Reading files: one file whole, the annex queue, the waiting report, the citizen's status."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope, within
from sijill.enrollment.models import Application, ApplicationEvent, ApplicationVersion, Notification
from sijill.enrollment.reasons import reason_texts
from sijill.enrollment.receipts import receipt_well_formed
from sijill.enrollment.schemas import (
    ApplicationOut,
    CitizenStatusOut,
    EventOut,
    Label,
    QueueItemOut,
    QueuePage,
    ReasonOut,
    VersionOut,
    WaitingRow,
)
from sijill.enrollment.service import scoped_application
from sijill.enrollment.states import STATUS_LABELS
from sijill.enrollment.workflows import shipped_workflows
from sijill.errors import NotFoundError, Text, invalid
from sijill.social_registry.models import household_number

WAITING = ("received", "to_correct", "awaiting_validation")
TERRITORY_CODE = re.compile(r"[0-9]{2}(\.[0-9]{1,3}){0,3}")


def _label(text: Text) -> Label:
    return Label(ar=text.ar, fr=text.fr)


def _reasons(programme: str, findings: list[dict[str, Any]] | None) -> list[ReasonOut]:
    out = []
    for finding in findings or []:
        text, fix = reason_texts(programme, finding["code"])
        out.append(
            ReasonOut(
                code=finding["code"],
                field=finding.get("field"),
                value=finding.get("value"),
                text=_label(text),
                fix=_label(fix) if fix else None,
            )
        )
    return out


def read_application(session: Session, actor: Actor, receipt: str) -> ApplicationOut:
    actor.require(Permission.APPLICATION_READ)
    file = scoped_application(session, actor, receipt)
    versions = list(
        session.execute(
            select(ApplicationVersion)
            .where(ApplicationVersion.application_id == file.id)
            .order_by(ApplicationVersion.number)
        ).scalars()
    )
    events = session.execute(
        select(ApplicationEvent).where(ApplicationEvent.application_id == file.id).order_by(ApplicationEvent.id)
    ).scalars()
    current = versions[-1]
    audit.record(session, actor, "application.read", "application", receipt, file.annex_code, {})
    return ApplicationOut(
        receipt=file.receipt,
        workflow=file.workflow,
        channel=file.channel,
        annex_code=file.annex_code,
        applicant_idcs=file.applicant_idcs,
        household=household_number(file.household_id) if file.household_id else None,
        status=file.status,
        status_label=_label(STATUS_LABELS[file.status]),
        version=file.current_version,
        reasons=_reasons(shipped_workflows()[file.workflow].programme, current.findings),
        received_at=file.received_at,
        validated_at=file.validated_at,
        transmitted_at=file.transmitted_at,
        due_on=file.due_on,
        decided_at=file.decided_at,
        operator_reference=file.operator_reference,
        operator_reason=file.operator_reason,
        notified_at=file.notified_at,
        versions=[
            VersionOut(number=v.number, submitted_by=v.submitted_by, submitted_at=v.submitted_at, form=v.form)
            for v in versions
        ],
        events=[
            EventOut(from_status=e.from_status, to_status=e.to_status, at=e.at, by=e.by, detail=e.detail)
            for e in events
        ],
    )


def _waiting_days(received_at: datetime, now: datetime) -> int:
    received = received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC)
    return max(0, (now - received).days)


def list_applications(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    workflow: str | None = None,
    annex_code: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> QueuePage:
    """Files in the actor's territory, oldest first: the annex's queue when `status` is
    awaiting_validation, the files to correct when it is to_correct."""
    actor.require(Permission.APPLICATION_READ)
    conditions = [in_scope(actor, Application.annex_code)]
    if status is not None:
        conditions.append(Application.status == status)
    if workflow is not None:
        conditions.append(Application.workflow == workflow)
    if annex_code is not None:
        if not TERRITORY_CODE.fullmatch(annex_code):
            raise invalid(
                "annex_code",
                annex_code[:40],
                Text("رمز ترابي من أرقام ونقط", "un code territorial fait de chiffres et de points", "digits and dots"),
                Text("مثال: 03.02.001.01", "exemple : 03.02.001.01", "e.g. 03.02.001.01"),
            )
        conditions.append(within(annex_code, Application.annex_code))
    total = session.execute(select(func.count()).select_from(Application).where(*conditions)).scalar_one()
    rows = session.execute(
        select(Application)
        .where(*conditions)
        .order_by(Application.received_at, Application.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).scalars()
    now = datetime.now(UTC)
    items = [
        QueueItemOut(
            receipt=f.receipt,
            workflow=f.workflow,
            annex_code=f.annex_code,
            applicant_idcs=f.applicant_idcs,
            status=f.status,
            reasons=[c for c in f.reasons.split(",") if c],
            received_at=f.received_at,
            waiting_days=_waiting_days(f.received_at, now),
        )
        for f in rows
    ]
    audit.record(
        session,
        actor,
        "application.list",
        "application",
        None,
        actor.scope_code,
        {"status": status, "workflow": workflow, "annex": annex_code, "page": page, "shown": len(items)},
    )
    return QueuePage(items=items, total=total, page=page, page_size=page_size)


def waiting_report(session: Session, actor: Actor, *, now: datetime | None = None) -> list[WaitingRow]:
    """Files still at the annex (received, to correct, awaiting validation) for longer than their
    workflow allows, by annex, workflow and state: the supervisors' daily report."""
    actor.require(Permission.APPLICATION_READ)
    at = now or datetime.now(UTC)
    rows: list[WaitingRow] = []
    for flow in shipped_workflows().values():
        limit = at - timedelta(days=flow.validation_days)
        found = session.execute(
            select(Application.annex_code, Application.status, func.count(), func.min(Application.received_at))
            .where(
                Application.workflow == flow.id,
                Application.status.in_(WAITING),
                Application.received_at < limit,
                in_scope(actor, Application.annex_code),
            )
            .group_by(Application.annex_code, Application.status)
        ).all()
        rows += [
            WaitingRow(annex_code=annex, workflow=flow.id, status=status, files=count, oldest_received_at=oldest)
            for annex, status, count, oldest in found
        ]
    audit.record(
        session, actor, "application.waiting_report", "application", None, actor.scope_code, {"rows": len(rows)}
    )
    return sorted(rows, key=lambda r: (r.annex_code or "", r.workflow, r.status))


def citizen_status(session: Session, actor: Actor, receipt: str, idcs: str) -> CitizenStatusOut:
    """The file's state for the person holding both its receipt and the applicant's IDCS. Any
    mismatch answers exactly as an unknown receipt, so neither can be probed alone."""
    shown = find_citizen_file(session, actor, receipt, idcs)
    if shown is None:
        raise NotFoundError("application", receipt[:24])
    return shown


def find_citizen_file(session: Session, actor: Actor, receipt: str, idcs: str) -> CitizenStatusOut | None:
    """As `citizen_status`, None when nothing matches; the lookup is audited either way, so a
    caller that commits before answering 404 keeps the trace of failed probes too."""
    file = None
    well_formed = receipt_well_formed(receipt)
    if well_formed:
        file = session.execute(
            select(Application).where(Application.receipt == receipt, Application.applicant_idcs == idcs)
        ).scalar_one_or_none()
    # A malformed receipt is not kept: it could be anything a stranger typed.
    shown = receipt if well_formed else None
    details = {"found": file is not None}
    audit.record(session, actor, "application.citizen_status", "application", shown, None, details)
    if file is None:
        return None
    flow = shipped_workflows()[file.workflow]
    findings = session.execute(
        select(ApplicationVersion.findings).where(
            ApplicationVersion.application_id == file.id, ApplicationVersion.number == file.current_version
        )
    ).scalar_one()
    codes = list(dict.fromkeys(f["code"] for f in findings or []))
    if file.status == "refused" and file.operator_reason:
        codes.append(file.operator_reason)
    return CitizenStatusOut(
        receipt=file.receipt,
        workflow=_label(flow.name),
        status=file.status,
        status_label=_label(STATUS_LABELS[file.status]),
        received_at=file.received_at,
        reasons=[_label(reason_texts(flow.programme, code)[0]) for code in codes],
        due_on=file.due_on,
        operator_reference=file.operator_reference if file.status == "accepted" else None,
    )


def notifications_of(session: Session, actor: Actor, receipt: str) -> list[Notification]:
    """The messages sent to the applicant about this file, as they were sent."""
    actor.require(Permission.APPLICATION_READ)
    file = scoped_application(session, actor, receipt)
    found = list(
        session.execute(
            select(Notification).where(Notification.application_id == file.id).order_by(Notification.id)
        ).scalars()
    )
    audit.record(session, actor, "application.notifications", "application", receipt, file.annex_code, {})
    return found
