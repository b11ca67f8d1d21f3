"""The operator's desk: the files transmitted and not yet decided, oldest first with the days left
before the deadline, one file as the operator reads it, and its decision (accepted with the
operator's registration number, or refused with one of the reason codes the programme defines).

The decision itself is `decisions.record_decision`, the same step the signed callbacks take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.enrollment.decisions import OUTCOMES, Decision, record_decision
from sijill.enrollment.models import Application, ApplicationEvent, ApplicationVersion
from sijill.enrollment.notifications import NotificationChannel
from sijill.enrollment.reasons import REASONS, reason_texts
from sijill.enrollment.states import STATUS_LABELS, wrong_state
from sijill.enrollment.transmit import file_id
from sijill.enrollment.workflows import Workflow, shipped_workflows, workflow_named
from sijill.errors import NotFoundError, SijillError, Text, invalid
from sijill.programmes.rules import rule_in_force, shipped_rules
from sijill.social_registry.models import household_number

AT_OPERATOR = "transmitted"
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9./-]{0,39}")
NOTE_LENGTH = 300


@dataclass(frozen=True)
class DeskItem:
    receipt: str
    workflow: str
    workflow_name: Text
    annex_code: str | None
    transmitted_at: datetime | None
    due_on: date | None
    # Days before the deadline (negative once it has passed); None when no deadline is set.
    days_left: int | None


@dataclass(frozen=True)
class DeskPage:
    items: list[DeskItem]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class ReasonChoice:
    code: str
    text: Text


@dataclass(frozen=True)
class DeskEvent:
    from_status: str | None
    to_status: str
    at: datetime
    by: str
    detail: str


@dataclass(frozen=True)
class DeskFile:
    receipt: str
    # What the operator's own system knows the file by (the receipt and the version sent).
    file_id: str
    workflow: str
    workflow_name: Text
    programme: str
    status: str
    status_label: Text
    annex_code: str | None
    applicant_idcs: str | None
    household: str | None
    form: dict[str, Any]
    received_at: datetime
    transmitted_at: datetime | None
    due_on: date | None
    days_left: int | None
    decided_at: datetime | None
    operator_reference: str | None
    operator_reason: str | None
    operator_reason_text: Text | None
    events: list[DeskEvent]

    @property
    def open(self) -> bool:
        return self.status == AT_OPERATOR


def _days_left(due_on: date | None, today: date) -> int | None:
    return None if due_on is None else (due_on - today).days


def list_files(
    session: Session,
    actor: Actor,
    *,
    workflow: str | None = None,
    page: int = 1,
    page_size: int = 50,
    today: date | None = None,
) -> DeskPage:
    """Files waiting for the operator's decision, the longest waiting first."""
    actor.require(Permission.OPERATOR_DECIDE)
    flows = shipped_workflows()
    conditions = [Application.status == AT_OPERATOR]
    if workflow is not None:
        conditions.append(Application.workflow == workflow_named(workflow).id)
    total = session.execute(select(func.count()).select_from(Application).where(*conditions)).scalar_one()
    rows = session.execute(
        select(
            Application.receipt,
            Application.workflow,
            Application.annex_code,
            Application.transmitted_at,
            Application.due_on,
        )
        .where(*conditions)
        .order_by(Application.transmitted_at, Application.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    day = today or datetime.now(UTC).date()
    items = [
        DeskItem(receipt, flow, flows[flow].name, annex, sent, due, _days_left(due, day))
        for receipt, flow, annex, sent, due in rows
    ]
    audit.record(
        session,
        actor,
        "application.operator_list",
        "application",
        None,
        None,
        {"workflow": workflow, "page": page, "shown": len(items)},
    )
    return DeskPage(items=items, total=total, page=page, page_size=page_size)


def reason_choices(workflow: Workflow, day: date | None = None) -> list[ReasonChoice]:
    """The codes an operator may refuse a file with: the programme rule's own reasons (in force
    today), then the file's (an unknown person, a member missing from the register ...)."""
    rule = rule_in_force(shipped_rules(), workflow.programme, day or date.today())
    codes = [*rule.reasons, *REASONS]
    return [ReasonChoice(code, reason_texts(workflow.programme, code)[0]) for code in dict.fromkeys(codes)]


def _locate(session: Session, receipt: str, *, lock: bool = False) -> Application:
    """Files reach the desk once transmitted: before that, the operator has nothing to see."""
    query = select(Application).where(Application.receipt == receipt, Application.transmitted_at.is_not(None))
    if lock:
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFoundError("application", receipt[:24])
    return found


def _shown(session: Session, file: Application, today: date) -> DeskFile:
    flow = shipped_workflows()[file.workflow]
    form = session.execute(
        select(ApplicationVersion.form).where(
            ApplicationVersion.application_id == file.id, ApplicationVersion.number == file.current_version
        )
    ).scalar_one()
    events = session.execute(
        select(ApplicationEvent).where(ApplicationEvent.application_id == file.id).order_by(ApplicationEvent.id)
    ).scalars()
    reason = reason_texts(flow.programme, file.operator_reason)[0] if file.operator_reason else None
    return DeskFile(
        receipt=file.receipt,
        file_id=file_id(file.receipt, file.current_version),
        workflow=flow.id,
        workflow_name=flow.name,
        programme=flow.programme,
        status=file.status,
        status_label=STATUS_LABELS[file.status],
        annex_code=file.annex_code,
        applicant_idcs=file.applicant_idcs,
        household=household_number(file.household_id) if file.household_id else None,
        form=form,
        received_at=file.received_at,
        transmitted_at=file.transmitted_at,
        due_on=file.due_on,
        days_left=_days_left(file.due_on, today) if file.status == AT_OPERATOR else None,
        decided_at=file.decided_at,
        operator_reference=file.operator_reference,
        operator_reason=file.operator_reason,
        operator_reason_text=reason,
        events=[DeskEvent(e.from_status, e.to_status, e.at, e.by, e.detail) for e in events],
    )


def show_file(session: Session, actor: Actor, receipt: str, *, today: date | None = None) -> DeskFile:
    actor.require(Permission.OPERATOR_DECIDE)
    file = _locate(session, receipt)
    audit.record(session, actor, "application.operator_read", "application", file.receipt, file.annex_code, {})
    return _shown(session, file, today or datetime.now(UTC).date())


def _already_decided(file: Application) -> SijillError:
    label = STATUS_LABELS[file.status]
    day = file.decided_at.date().isoformat() if file.decided_at else "?"
    return SijillError(
        code="application_already_decided",
        status=409,
        field="status",
        value=file.status,
        message=Text(
            f"سبق البت في الملف {file.receipt}: «{label.ar}» بتاريخ {day}. لم يسجل قراركم.",
            f"Le dossier {file.receipt} est déjà tranché : « {label.fr} » le {day}. Votre décision n'est pas "
            "enregistrée.",
            f"file {file.receipt} already decided ({file.status})",
        ),
        fix=Text(
            "اعرضوا الملف لقراءة القرار المسجل",
            "Affichez le dossier pour lire la décision enregistrée",
            "show the file to read the decision",
        ),
    )


def _checked(workflow: Workflow, outcome: str, reference: str | None, reason: str | None, note: str) -> Decision:
    """The decision as typed, refused whole (nothing written) at its first wrong field."""
    if outcome not in OUTCOMES:
        raise invalid(
            "outcome",
            outcome[:20],
            Text("قبول أو رفض", "accepté ou refusé", "accepted or refused"),
            Text("اختاروا القرار", "Choisissez la décision", "choose the decision"),
        )
    if len(note) > NOTE_LENGTH:
        raise invalid(
            "note",
            None,
            Text(
                f"ملاحظة من {NOTE_LENGTH} حرف على الأكثر",
                f"une note de {NOTE_LENGTH} caractères au plus",
                f"at most {NOTE_LENGTH} characters",
            ),
            Text("اختصروا الملاحظة", "Raccourcissez la note", "shorten the note"),
        )
    if outcome == "accepted":
        if not reference or not REFERENCE.fullmatch(reference):
            raise invalid(
                "reference",
                (reference or "")[:40],
                Text(
                    "رقم التسجيل لدى الهيئة: من 1 إلى 40 حرفا أو رقما",
                    "le numéro d'immatriculation de l'organisme : 1 à 40 lettres ou chiffres",
                    "the operator's registration number: 1 to 40 letters or digits",
                ),
                Text("مثال: CNSS0000000042", "exemple : CNSS0000000042", "e.g. CNSS0000000042"),
            )
        return Decision(outcome="accepted", reference=reference, note=note, origin="desk")
    known = [choice.code for choice in reason_choices(workflow)]
    if reason not in known:
        raise invalid(
            "reason",
            (reason or "")[:60],
            Text("سبب من لائحة أسباب البرنامج", "un motif de la liste du programme", "a reason from the list"),
            Text("اختاروا سبب الرفض من اللائحة", "Choisissez le motif du refus dans la liste", "choose a reason"),
        )
    return Decision(outcome="refused", reason=reason, note=note, origin="desk")


def decide_file(
    session: Session,
    actor: Actor,
    receipt: str,
    *,
    outcome: str,
    channel: NotificationChannel,
    reference: str | None = None,
    reason: str | None = None,
    note: str = "",
    today: date | None = None,
) -> DeskFile:
    """Accept or refuse a transmitted file. The row is locked first, so when two operators decide
    the same file at once the second finds it decided and is told so (409)."""
    actor.require(Permission.OPERATOR_DECIDE)
    file = _locate(session, receipt, lock=True)
    decision = _checked(shipped_workflows()[file.workflow], outcome, reference, reason, note.strip())
    if file.status in ("accepted", "refused"):
        raise _already_decided(file)
    if file.status != AT_OPERATOR:
        raise wrong_state(file.receipt, file.status, decision.outcome)
    record_decision(session, actor, file, decision, channel)
    return _shown(session, file, today or datetime.now(UTC).date())
