"""The supervisors' daily report: per annex in their territory, files waiting at the annex longer
than their workflow allows and files past the operator's deadline, sent as a message each one
reads back in Sijill. Running the job twice in a day sends nothing more."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.models import User
from sijill.access.roles import Permission, Role
from sijill.access.scope import code_in_scope
from sijill.enrollment.models import StaffMessage
from sijill.enrollment.queries import waiting_report
from sijill.enrollment.sla import overdue_by_annex

SUPERVISORS = (Role.SUPERVISOR_PROVINCE, Role.SUPERVISOR_REGION, Role.SUPERVISOR_NATIONAL)


def send_daily_report(session: Session, actor: Actor, *, now: datetime | None = None) -> int:
    """Write today's report for each active supervisor with something to report; returns how many."""
    actor.require(Permission.APPLICATION_TRANSMIT)
    at = now or datetime.now(UTC)
    waiting: dict[str | None, int] = defaultdict(int)
    for row in waiting_report(session, actor, now=at):
        waiting[row.annex_code] += row.files
    late = overdue_by_annex(session, actor, today=at.date())
    subject = f"daily-report {at.date().isoformat()}"
    already = set(session.execute(select(StaffMessage.username).where(StaffMessage.subject == subject)).scalars())
    supervisors = session.execute(
        select(User.username, User.role, User.scope_code).where(
            User.role.in_([r.value for r in SUPERVISORS]), User.is_active.is_(True)
        )
    ).all()
    messages = []
    for username, role, scope in supervisors:
        if username in already:
            continue
        reader = Actor(username, Role(role), scope, actor.source)
        lines = [
            (annex, waiting.get(annex, 0), late.get(annex, 0))
            for annex in sorted({*waiting, *late}, key=lambda a: a or "")
            if (scope is None or code_in_scope(reader, annex))
        ]
        if not lines:
            continue
        messages.append(
            {
                "username": username,
                "subject": subject,
                "body_ar": "\n".join(
                    f"{a or '—'}: {w} ملف ينتظر أكثر من يوم، {o} ملف تجاوز الأجل" for a, w, o in lines
                ),
                "body_fr": "\n".join(
                    f"{a or '—'} : {w} dossiers en attente depuis plus d'un jour, {o} en retard à l'opérateur"
                    for a, w, o in lines
                ),
                "created_at": at,
            }
        )
    if messages:
        session.execute(insert(StaffMessage), messages)
    audit.record(session, actor, "application.daily_report", "staff_message", subject, None, {"sent": len(messages)})
    return len(messages)


def messages_for(session: Session, actor: Actor, limit: int = 50) -> list[StaffMessage]:
    return list(
        session.execute(
            select(StaffMessage)
            .where(StaffMessage.username == actor.username)
            .order_by(StaffMessage.created_at.desc(), StaffMessage.id.desc())
            .limit(limit)
        ).scalars()
    )
