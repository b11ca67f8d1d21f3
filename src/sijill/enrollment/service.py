"""The steps of a file: intake (a receipt before anything else), the cross-check, corrections,
validation at the annex, withdrawal. Each step moves files by the one transition table, writes an
event per file and one audit line, and leaves nothing half-done.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission, Role
from sijill.access.scope import in_scope
from sijill.db import transaction
from sijill.enrollment.checks import FileToCheck, Verdict, check_files
from sijill.enrollment.form import applicant_idcs_of
from sijill.enrollment.models import Application, ApplicationEvent, ApplicationVersion
from sijill.enrollment.receipts import add_numbered
from sijill.enrollment.states import CORRECTABLE, can_move, wrong_state
from sijill.enrollment.workflows import shipped_workflows, workflow_named
from sijill.errors import NotFoundError, SijillError, Text, invalid
from sijill.territory.models import TerritoryUnit

MAX_FORM_BYTES = 64 * 1024
CHECK_BATCH = 2_000


@dataclass(frozen=True)
class Received:
    receipt: str
    received_at: datetime
    # True when this submission repeated one already received: its first receipt answers.
    duplicate: bool
    application_id: int


def content_hash(workflow: str, form: dict[str, Any]) -> str:
    canonical = json.dumps({"workflow": workflow, "form": form}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _form_size_ok(form: dict[str, Any]) -> None:
    if len(json.dumps(form, ensure_ascii=False).encode()) > MAX_FORM_BYTES:
        raise SijillError(
            code="form_too_large",
            status=413,
            field="form",
            value=None,
            message=Text(
                "الاستمارة أكبر من 64 كيلوبايت",
                "Le formulaire dépasse 64 Ko",
                "form larger than 64 KiB",
            ),
            fix=Text(
                "أرسلوا الاستمارة بدون مرفقات",
                "Envoyez le formulaire sans pièces jointes",
                "send it without attachments",
            ),
        )


def _annex_of(session: Session, actor: Actor, channel: str, form: dict[str, Any]) -> str | None:
    """At the counter, the agent's annex; online (or from the command line), the annex the form
    names when it exists, else none until the household is found."""
    if channel == "annex" and actor.role is Role.ANNEX_AGENT:
        return actor.scope_code
    named = form.get("annex_code")
    if not isinstance(named, str):
        return None
    level = session.execute(select(TerritoryUnit.level).where(TerritoryUnit.code == named).limit(1)).scalar()
    return named if level == "annex" else None


def _key_reused(key: str) -> SijillError:
    return SijillError(
        code="idempotency_key_reused",
        status=409,
        field="idempotency_key",
        value=key,
        message=Text(
            "مفتاح الإرسال هذا استعمل لاستمارة أخرى",
            "Cette clé d'idempotence a déjà servi pour un autre formulaire",
            "idempotency key already used for another form",
        ),
        fix=Text(
            "استعملوا مفتاحا جديدا لكل استمارة", "Utilisez une nouvelle clé par formulaire", "use a new key per form"
        ),
    )


def _existing(session: Session, submitted_by: str, key: str | None, digest: str) -> Application | None:
    """The file this submission repeats: same key from the same submitter (with the same form,
    else the key was misused), or the same form while its file is open."""
    if key is not None:
        found = session.execute(
            select(Application).where(Application.submitted_by == submitted_by, Application.idempotency_key == key)
        ).scalar_one_or_none()
        if found is not None:
            first = session.execute(
                select(ApplicationVersion.form).where(
                    ApplicationVersion.application_id == found.id, ApplicationVersion.number == 1
                )
            ).scalar_one()
            if content_hash(found.workflow, first) != digest:
                raise _key_reused(key)
            return found
    return session.execute(select(Application).where(Application.open_content_hash == digest)).scalar_one_or_none()


def _event(
    application_id: int, from_status: str | None, to_status: str, by: str, at: datetime, detail: str = ""
) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "from_status": from_status,
        "to_status": to_status,
        "at": at,
        "by": by,
        "detail": detail[:400],
    }


def receive(
    session: Session,
    actor: Actor,
    *,
    workflow: str,
    form: dict[str, Any],
    channel: str,
    idempotency_key: str | None = None,
) -> Received:
    """Give the form its receipt, whatever it holds: nothing is checked here but that the workflow
    exists and the form is a reasonable size, so no submitted form goes uncounted."""
    actor.require(Permission.APPLICATION_SUBMIT)
    flow = workflow_named(workflow)
    _form_size_ok(form)
    submitted_by = actor.username
    digest = content_hash(flow.id, form)
    found = _existing(session, submitted_by, idempotency_key, digest)
    if found is not None:
        return Received(found.receipt, found.received_at, True, found.id)
    now = datetime.now(UTC)
    application = Application(
        workflow=flow.id,
        channel=channel,
        annex_code=_annex_of(session, actor, channel, form),
        applicant_idcs=applicant_idcs_of(form),
        status="received",
        current_version=1,
        reasons="",
        submitted_by=submitted_by,
        idempotency_key=idempotency_key,
        open_content_hash=digest,
        received_at=now,
    )
    if not add_numbered(session, application, flow.receipt_prefix, now.date()):
        # Two identical submissions at once: the database let the other in; it answers.
        found = _existing(session, submitted_by, idempotency_key, digest)
        if found is None:
            raise RuntimeError("application insert refused for a reason other than a repeat")
        return Received(found.receipt, found.received_at, True, found.id)
    session.add(
        ApplicationVersion(
            application_id=application.id, number=1, form=form, submitted_by=submitted_by, submitted_at=now
        )
    )
    session.execute(insert(ApplicationEvent), [_event(application.id, None, "received", submitted_by, now, channel)])
    details = {"workflow": flow.id, "channel": channel}
    audit.record(
        session, actor, "application.receive", "application", application.receipt, application.annex_code, details
    )
    return Received(application.receipt, now, False, application.id)


def check_received(
    session: Session, actor: Actor, application_ids: Sequence[int] | None = None, *, day: date | None = None
) -> int:
    """Cross-check one batch of files waiting in `received` (those given, or the oldest
    CHECK_BATCH) in the caller's transaction; returns how many were checked. Files another
    checker holds are skipped. A job calls it again, a transaction each time, until it returns 0
    (`check_all`), so each batch is committed as soon as it is judged."""
    workflows = shipped_workflows()
    query = select(Application).where(Application.status == "received").order_by(Application.id).limit(CHECK_BATCH)
    if application_ids is not None:
        query = query.where(Application.id.in_(application_ids))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    files = list(session.execute(query).scalars())
    if not files:
        return 0
    forms: dict[int, dict[str, Any]] = dict(
        session.execute(
            select(ApplicationVersion.application_id, ApplicationVersion.form).where(
                ApplicationVersion.application_id.in_([f.id for f in files]),
                ApplicationVersion.number == Application.current_version,
                Application.id == ApplicationVersion.application_id,
            )
        ).all()
    )
    to_check = [FileToCheck(f.id, workflows[f.workflow], f.channel, f.annex_code, forms[f.id]) for f in files]
    _apply_verdicts(session, actor, files, check_files(session, to_check, day or date.today()))
    return len(files)


def check_all(factory: sessionmaker[Session], actor: Actor) -> int:
    """Every file waiting in `received`, one committed batch at a time; returns how many."""
    checked = 0
    while True:
        with transaction(factory) as session:
            batch = check_received(session, actor)
        if not batch:
            return checked
        checked += batch


def _apply_verdicts(session: Session, actor: Actor, files: list[Application], verdicts: list[Verdict]) -> None:
    now = datetime.now(UTC)
    workflows = shipped_workflows()
    events = []
    for file, verdict in zip(files, verdicts, strict=True):
        passed = "awaiting_validation" if workflows[file.workflow].annex_validation else "validated"
        target = "to_correct" if verdict.findings else passed
        codes = list(dict.fromkeys(f["code"] for f in verdict.findings))
        events.append(_event(file.id, file.status, target, actor.username, now, ",".join(codes)))
        file.status = target
        file.reasons = ",".join(codes)[:400]
        file.checked_at = now
        file.person_id = verdict.person_id
        file.household_id = verdict.household_id
        file.annex_code = verdict.annex_code
        if target == "validated":
            file.validated_at, file.validated_by = now, actor.username
    session.flush()
    # One executemany by primary key for the batch's versions, not an UPDATE per file.
    session.execute(
        update(ApplicationVersion),
        [
            {"application_id": f.id, "number": f.current_version, "findings": v.findings}
            for f, v in zip(files, verdicts, strict=True)
        ],
    )
    session.execute(insert(ApplicationEvent), events)
    audit.record(session, actor, "application.check", "application", None, None, {"files": len(files)})


def scoped_application(session: Session, actor: Actor, receipt: str, *, for_update: bool = False) -> Application:
    """The file with this receipt if it lies in the actor's territory; files no annex holds yet
    are seen nationally. Outside the scope, the same answer as for no file at all."""
    query = select(Application).where(Application.receipt == receipt)
    if actor.scope_code is not None:
        query = query.where(in_scope(actor, Application.annex_code))
    if for_update:
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFoundError("application", receipt)
    return found


def correct(session: Session, actor: Actor, receipt: str, form: dict[str, Any]) -> Application:
    """A corrected form: a new version of the file, checked again from the start."""
    actor.require(Permission.APPLICATION_SUBMIT)
    _form_size_ok(form)
    file = scoped_application(session, actor, receipt, for_update=True)
    if file.status not in CORRECTABLE:
        raise wrong_state(receipt, file.status, "received")
    now = datetime.now(UTC)
    number = file.current_version + 1
    session.add(
        ApplicationVersion(
            application_id=file.id, number=number, form=form, submitted_by=actor.username, submitted_at=now
        )
    )
    session.execute(
        insert(ApplicationEvent), [_event(file.id, file.status, "received", actor.username, now, f"version {number}")]
    )
    file.status = "received"
    file.current_version = number
    file.applicant_idcs = applicant_idcs_of(form)
    file.open_content_hash = None
    session.flush()
    # The corrected content now identifies the open file, unless another open file holds it.
    digest = content_hash(file.workflow, form)
    taken = session.execute(select(Application.id).where(Application.open_content_hash == digest)).scalar()
    file.open_content_hash = digest if taken is None else None
    audit.record(session, actor, "application.correct", "application", receipt, file.annex_code, {"version": number})
    session.flush()
    check_received(session, actor, [file.id])
    return file


@dataclass(frozen=True)
class StepOutcome:
    receipt: str
    done: bool
    # The file's state after the step; None when no file with this receipt is in the actor's scope.
    status: str | None


def validate(session: Session, actor: Actor, receipts: Sequence[str]) -> list[StepOutcome]:
    """Validate files waiting at the annex, one or many: set-based, and safe when two agents
    validate the same file at once (only one of them moves it)."""
    actor.require(Permission.APPLICATION_VALIDATE)
    wanted = list(dict.fromkeys(receipts))
    if not wanted or len(wanted) > 5_000:
        raise invalid(
            "receipts",
            len(wanted),
            Text("من 1 إلى 5000 وصل", "de 1 à 5 000 récépissés", "from 1 to 5,000 receipts"),
            Text("قسموا القائمة", "Découpez la liste", "split the list"),
        )
    now = datetime.now(UTC)
    moved = session.execute(
        update(Application)
        .where(
            Application.receipt.in_(wanted),
            Application.status == "awaiting_validation",
            in_scope(actor, Application.annex_code),
        )
        .values(status="validated", validated_at=now, validated_by=actor.username, version=Application.version + 1)
        .returning(Application.id, Application.receipt)
        .execution_options(synchronize_session=False)
    ).all()
    if moved:
        session.execute(
            insert(ApplicationEvent),
            [_event(i, "awaiting_validation", "validated", actor.username, now) for i, _ in moved],
        )
    done = {receipt for _, receipt in moved}
    current = dict(
        session.execute(
            select(Application.receipt, Application.status).where(
                Application.receipt.in_([r for r in wanted if r not in done]), in_scope(actor, Application.annex_code)
            )
        ).all()
    )
    audit.record(session, actor, "application.validate", "application", None, actor.scope_code, {"files": len(done)})
    return [StepOutcome(r, r in done, "validated" if r in done else current.get(r)) for r in wanted]


def withdraw(session: Session, actor: Actor, receipt: str, reason: str) -> Application:
    actor.require(Permission.APPLICATION_VALIDATE)
    if not reason.strip() or len(reason) > 400:
        raise invalid(
            "reason",
            reason[:40],
            Text("سبب بين 1 و400 حرف", "un motif de 1 à 400 caractères", "a reason of 1 to 400 characters"),
            Text("اذكروا سبب الإغلاق", "Indiquez pourquoi le dossier est clos", "say why the file is closed"),
        )
    file = scoped_application(session, actor, receipt, for_update=True)
    if not can_move(file.status, "withdrawn"):
        raise wrong_state(receipt, file.status, "withdrawn")
    now = datetime.now(UTC)
    session.execute(insert(ApplicationEvent), [_event(file.id, file.status, "withdrawn", actor.username, now, reason)])
    file.status = "withdrawn"
    file.open_content_hash = None
    audit.record(session, actor, "application.withdraw", "application", receipt, file.annex_code, {})
    session.flush()
    return file


def status_of(session: Session, application_id: int) -> str:
    return session.execute(select(Application.status).where(Application.id == application_id)).scalar_one()
