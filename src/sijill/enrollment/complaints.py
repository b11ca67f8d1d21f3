"""Complaints (réclamations): filed about a file or a household by an agent or by the applicant,
decided by a reviewer within their deadline. An upheld complaint about a refused file, or one
sent back to correct, sends it through the flow again as a new version, checked from the start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission, Role
from sijill.access.scope import in_scope
from sijill.enrollment.models import Application, ApplicationEvent, ApplicationVersion, Complaint
from sijill.enrollment.receipts import add_numbered
from sijill.enrollment.service import check_received, scoped_application
from sijill.enrollment.states import can_move
from sijill.errors import NotFoundError, SijillError, Text, invalid
from sijill.social_registry.models import household_number
from sijill.social_registry.service import scoped_household

KINDS = ("exclusion", "inclusion", "data_error")
# The time a reviewer has to answer; ILLUSTRATIVE until the ministry's grievance rule is published.
ANSWER_DAYS = 30
PREFIX = "RC"
# Files an upheld complaint sends back through the flow.
REOPENED_FROM = ("refused", "to_correct")


@dataclass(frozen=True)
class ComplaintOut:
    number: str
    kind: str
    receipt: str | None
    household: str | None
    annex_code: str | None
    status: str
    description: str
    filed_at: datetime
    due_on: date
    outcome: str | None
    decided_at: datetime | None
    # The state the file is in once the complaint is decided (reopened files are checked again).
    file_status: str | None


def _out(session: Session, complaint: Complaint) -> ComplaintOut:
    file = session.get(Application, complaint.application_id) if complaint.application_id else None
    return ComplaintOut(
        number=complaint.number,
        kind=complaint.kind,
        receipt=file.receipt if file else None,
        household=household_number(complaint.household_id) if complaint.household_id else None,
        annex_code=complaint.annex_code,
        status=complaint.status,
        description=complaint.description,
        filed_at=complaint.filed_at,
        due_on=complaint.due_on,
        outcome=complaint.outcome,
        decided_at=complaint.decided_at,
        file_status=file.status if file else None,
    )


def _text(field: str, value: str, limit: int) -> str:
    if not value.strip() or len(value) > limit:
        raise invalid(
            field,
            value[:40],
            Text(f"نص بين 1 و{limit} حرف", f"un texte de 1 à {limit} caractères", f"1 to {limit} characters"),
            Text("صفوا المشكلة بإيجاز", "Décrivez le problème brièvement", "describe the problem briefly"),
        )
    return value.strip()


def file_complaint(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    description: str,
    receipt: str | None = None,
    household: str | None = None,
    applicant_idcs: str | None = None,
) -> ComplaintOut:
    """About a file (by its receipt) or a household (by its number). A citizen files only about
    their own file, with its receipt and the applicant's IDCS."""
    actor.require(Permission.APPLICATION_SUBMIT)
    if kind not in KINDS:
        raise invalid(
            "kind",
            kind[:20],
            Text("نوع غير معروف", "type de réclamation inconnu", "unknown complaint kind"),
            Text(
                "exclusion أو inclusion أو data_error",
                "exclusion, inclusion ou data_error",
                "one of " + ", ".join(KINDS),
            ),
        )
    text = _text("description", description, 2000)
    if (receipt is None) == (household is None):
        raise invalid(
            "receipt",
            None,
            Text(
                "وصل أو رقم أسرة، واحد منهما",
                "un récépissé ou un numéro de ménage, l'un des deux",
                "exactly one of receipt or household",
            ),
            Text(
                "اذكروا الملف أو الأسرة المعنية",
                "Indiquez le dossier ou le ménage concerné",
                "name the file or household",
            ),
        )
    file = None
    household_id = None
    if receipt is not None:
        if actor.role is Role.CITIZEN:
            file = session.execute(
                select(Application).where(Application.receipt == receipt, Application.applicant_idcs == applicant_idcs)
            ).scalar_one_or_none()
            if file is None:
                raise NotFoundError("application", receipt[:24])
        else:
            file = scoped_application(session, actor, receipt)
        household_id = file.household_id
        annex = file.annex_code
    else:
        if actor.role is Role.CITIZEN:
            raise NotFoundError("household", str(household)[:24])
        found = scoped_household(session, actor, str(household))
        household_id, annex = found.id, found.annex_code
    now = datetime.now(UTC)
    complaint = Complaint(
        kind=kind,
        application_id=file.id if file else None,
        household_id=household_id,
        annex_code=annex,
        description=text,
        filed_by=actor.username,
        filed_at=now,
        due_on=now.date() + timedelta(days=ANSWER_DAYS),
        status="open",
    )
    if not add_numbered(session, complaint, PREFIX, now.date()):
        raise RuntimeError("complaint insert refused")
    audit.record(session, actor, "complaint.file", "complaint", complaint.number, annex, {"kind": kind})
    return _out(session, complaint)


def _scoped_complaint(session: Session, actor: Actor, number: str) -> Complaint:
    found = session.execute(
        select(Complaint).where(Complaint.number == number, in_scope(actor, Complaint.annex_code)).with_for_update()
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError("complaint", number[:24])
    return found


def decide_complaint(session: Session, actor: Actor, number: str, *, upheld: bool, outcome: str) -> ComplaintOut:
    """Decide an open complaint; upheld, it sends its file back through the flow where it can go."""
    actor.require(Permission.COMPLAINT_DECIDE)
    text = _text("outcome", outcome, 1000)
    complaint = _scoped_complaint(session, actor, number)
    if complaint.status != "open":
        raise SijillError(
            code="complaint_decided",
            status=409,
            field="status",
            value=complaint.status,
            message=Text("سبق البت في الشكاية", "La réclamation est déjà tranchée", "complaint already decided"),
        )
    if complaint.filed_by == actor.username:
        raise SijillError(
            code="own_complaint",
            status=403,
            field="decided_by",
            value=actor.username,
            message=Text("لا يبت في الشكاية من قدمها", "Celui qui dépose ne tranche pas", "filer cannot decide"),
        )
    now = datetime.now(UTC)
    complaint.status = "upheld" if upheld else "rejected"
    complaint.outcome, complaint.decided_by, complaint.decided_at = text, actor.username, now
    if upheld and complaint.application_id is not None:
        _reopen(session, actor, complaint, now)
    audit.record(
        session, actor, "complaint.decide", "complaint", complaint.number, complaint.annex_code, {"upheld": upheld}
    )
    session.flush()
    return _out(session, complaint)


def _reopen(session: Session, actor: Actor, complaint: Complaint, now: datetime) -> None:
    file = session.get(Application, complaint.application_id, with_for_update=True)
    if file is None or file.status not in REOPENED_FROM or not can_move(file.status, "received"):
        return
    form = session.execute(
        select(ApplicationVersion.form).where(
            ApplicationVersion.application_id == file.id, ApplicationVersion.number == file.current_version
        )
    ).scalar_one()
    number = file.current_version + 1
    # The same form as a new version: the operator sees a new file id, the checks run again.
    session.add(
        ApplicationVersion(
            application_id=file.id, number=number, form=form, submitted_by=actor.username, submitted_at=now
        )
    )
    session.execute(
        insert(ApplicationEvent),
        [
            {
                "application_id": file.id,
                "from_status": file.status,
                "to_status": "received",
                "at": now,
                "by": actor.username,
                "detail": f"complaint {complaint.number}",
            }
        ],
    )
    file.status, file.current_version = "received", number
    file.operator_reason = file.operator_reference = None
    file.decided_at = file.notified_at = file.transmitted_at = file.due_on = None
    session.flush()
    check_received(session, actor, [file.id])


def list_complaints(
    session: Session, actor: Actor, *, status: str | None = None, limit: int = 200
) -> list[ComplaintOut]:
    actor.require(Permission.APPLICATION_READ)
    query = select(Complaint).where(in_scope(actor, Complaint.annex_code))
    if status is not None:
        query = query.where(Complaint.status == status)
    found = list(session.execute(query.order_by(Complaint.due_on, Complaint.id).limit(limit)).scalars())
    audit.record(session, actor, "complaint.list", "complaint", None, actor.scope_code, {"shown": len(found)})
    return [_out(session, c) for c in found]
