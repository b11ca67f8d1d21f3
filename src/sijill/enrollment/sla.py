"""How long files wait, and where: open files by annex and step with their age, and the files
whose operator deadline has passed. Counted in the database, whatever the number of files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.enrollment.models import Application

AT_ANNEX = ("received", "to_correct", "awaiting_validation")
DECIDED = ("accepted", "refused")
# Age buckets, in days since the file entered its current step.
BUCKETS = (1, 7, 30)


class AgeingRow(BaseModel):
    annex_code: str | None
    workflow: str
    # intake (at the annex) -> validated (waiting to be sent) -> transmitted (at the operator)
    # -> decided (waiting for the message to the applicant)
    step: str
    files: int
    up_to_1_day: int
    up_to_7_days: int
    up_to_30_days: int
    over_30_days: int
    oldest: datetime | None


class OverdueRow(BaseModel):
    receipt: str
    workflow: str
    annex_code: str | None
    transmitted_at: datetime | None
    due_on: date
    days_late: int


def _step() -> tuple[ColumnElement[str], ColumnElement[datetime]]:
    status = Application.status
    step = case(
        (status.in_(AT_ANNEX), "intake"),
        (status == "validated", "validated"),
        (status == "transmitted", "transmitted"),
        else_="decided",
    )
    entered = case(
        (status.in_(AT_ANNEX), Application.received_at),
        (status == "validated", Application.validated_at),
        (status == "transmitted", Application.transmitted_at),
        else_=Application.decided_at,
    )
    return step, entered


def ageing(session: Session, actor: Actor, *, now: datetime | None = None) -> list[AgeingRow]:
    """Every file not yet through the last step, by annex, workflow and the step it waits in."""
    actor.require(Permission.APPLICATION_READ)
    at = now or datetime.now(UTC)
    step, entered = _step()
    limits = [at - timedelta(days=d) for d in BUCKETS]
    counts = [
        func.sum(case((entered >= limits[0], 1), else_=0)),
        func.sum(case((and_(entered < limits[0], entered >= limits[1]), 1), else_=0)),
        func.sum(case((and_(entered < limits[1], entered >= limits[2]), 1), else_=0)),
        func.sum(case((entered < limits[2], 1), else_=0)),
    ]
    told = and_(Application.status.in_(DECIDED), Application.notified_at.is_not(None))
    rows = session.execute(
        select(Application.annex_code, Application.workflow, step, func.count(), *counts, func.min(entered))
        .where(Application.status != "withdrawn", not_(told), in_scope(actor, Application.annex_code))
        .group_by(Application.annex_code, Application.workflow, step)
    ).all()
    audit.record(session, actor, "application.ageing", "application", None, actor.scope_code, {"rows": len(rows)})
    order = {"intake": 0, "validated": 1, "transmitted": 2, "decided": 3}
    out = [
        AgeingRow(
            annex_code=annex,
            workflow=workflow,
            step=name,
            files=files,
            up_to_1_day=a,
            up_to_7_days=b,
            up_to_30_days=c,
            over_30_days=d,
            oldest=oldest,
        )
        for annex, workflow, name, files, a, b, c, d, oldest in rows
    ]
    return sorted(out, key=lambda r: (r.annex_code or "", r.workflow, order[r.step]))


def overdue(session: Session, actor: Actor, *, today: date | None = None, limit: int = 1_000) -> list[OverdueRow]:
    """Files at the operator past their deadline (transmission + the workflow's days), most late first."""
    actor.require(Permission.APPLICATION_READ)
    day = today or datetime.now(UTC).date()
    rows = session.execute(
        select(
            Application.receipt,
            Application.workflow,
            Application.annex_code,
            Application.transmitted_at,
            Application.due_on,
        )
        .where(
            Application.status == "transmitted",
            Application.due_on < day,
            in_scope(actor, Application.annex_code),
        )
        .order_by(Application.due_on, Application.id)
        .limit(limit)
    ).all()
    audit.record(session, actor, "application.overdue", "application", None, actor.scope_code, {"files": len(rows)})
    return [
        OverdueRow(
            receipt=r,
            workflow=w,
            annex_code=a,
            transmitted_at=t,
            due_on=due,
            days_late=(day - due).days,
        )
        for r, w, a, t, due in rows
        if due is not None
    ]


def overdue_by_annex(session: Session, actor: Actor, *, today: date) -> dict[str | None, int]:
    """How many files are past their deadline at the operator, per annex: counted in the database."""
    actor.require(Permission.APPLICATION_READ)
    rows = session.execute(
        select(Application.annex_code, func.count())
        .where(
            Application.status == "transmitted",
            Application.due_on < today,
            in_scope(actor, Application.annex_code),
        )
        .group_by(Application.annex_code)
    ).all()
    return {annex: count for annex, count in rows}
