"""An operator's decision on a transmitted file: the one step behind both doors an operator
decides through (its signed callbacks, and the operator's desk in Sijill), so that the state
check, the file's history, the message to the applicant and the audit line are written once.

The caller has found the file and holds its row lock (SELECT ... FOR UPDATE): two decisions on
one file at once are then taken one after the other, and the second finds it decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.enrollment.models import Application, ApplicationEvent
from sijill.enrollment.notifications import NotificationChannel, notify_decision
from sijill.enrollment.states import can_move, wrong_state

Outcome = Literal["accepted", "refused"]
OUTCOMES: tuple[Outcome, ...] = ("accepted", "refused")
# The file's history keeps the operator's reference or reason code, then the note.
DETAIL_LENGTH = 400


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    # The operator's registration number when accepted, its reason code when refused.
    reference: str | None = None
    reason: str | None = None
    # What the operator adds in its own words (the desk's note); kept in the file's history only.
    note: str = ""
    # Where the decision came from, for the audit trail: "callback" or "desk".
    origin: str = "callback"


def allowed(file: Application, outcome: str) -> bool:
    return can_move(file.status, outcome)


def record_decision(
    session: Session, actor: Actor, file: Application, decision: Decision, channel: NotificationChannel
) -> None:
    """Move the locked file to the decision's outcome, tell the applicant, and trace it."""
    if not allowed(file, decision.outcome):
        raise wrong_state(file.receipt, file.status, decision.outcome)
    now = datetime.now(UTC)
    detail = decision.reference or decision.reason or ""
    if decision.note:
        detail = f"{detail}: {decision.note}" if detail else decision.note
    session.execute(
        insert(ApplicationEvent),
        [
            {
                "application_id": file.id,
                "from_status": file.status,
                "to_status": decision.outcome,
                "at": now,
                "by": actor.username,
                "detail": detail[:DETAIL_LENGTH],
            }
        ],
    )
    file.status = decision.outcome
    file.decided_at = now
    file.open_content_hash = None
    if decision.outcome == "accepted":
        file.operator_reference = decision.reference
    else:
        file.operator_reason = decision.reason
    notify_decision(session, file, channel)
    details: dict[str, str] = {"outcome": decision.outcome}
    if decision.origin != "callback":
        details["origin"] = decision.origin
    audit.record(session, actor, "application.decide", "application", file.receipt, file.annex_code, details)
    session.flush()
