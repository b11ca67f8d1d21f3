"""Telling the applicant: one message in Arabic and French at each decision, through a channel.

A channel delivers (SMS, e-mail); the default one delivers nothing and keeps the message, so it
can be read back (`sijill applications messages RECEIPT`). The message is written in the same
transaction as the decision: no decision goes untold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.enrollment.models import Application, Notification
from sijill.enrollment.reasons import reason_texts
from sijill.enrollment.workflows import shipped_workflows
from sijill.errors import Text
from sijill.population.models import Person


class NotificationChannel(Protocol):
    name: str

    def deliver(self, recipient: str | None, text: Text) -> bool:
        """True once delivered (or, for a recording channel, kept)."""


class RecordingChannel:
    """Keeps messages in the database only: the default until an SMS or mail gateway is set."""

    name = "record"

    def deliver(self, recipient: str | None, text: Text) -> bool:
        return True


def decision_text(file: Application) -> Text:
    flow = shipped_workflows()[file.workflow]
    if file.status == "accepted":
        return Text(
            f"تم قبول طلبكم رقم {file.receipt} ({flow.name.ar}). رقم التسجيل: {file.operator_reference}.",
            f"Votre demande {file.receipt} ({flow.name.fr}) est acceptée. Numéro d'immatriculation : "
            f"{file.operator_reference}.",
            f"application {file.receipt} accepted",
        )
    reason, _ = reason_texts(flow.programme, file.operator_reason or "")
    return Text(
        f"تم رفض طلبكم رقم {file.receipt} ({flow.name.ar}). السبب: {reason.ar}. يمكنكم تقديم شكاية.",
        f"Votre demande {file.receipt} ({flow.name.fr}) est refusée. Motif : {reason.fr}. "
        "Vous pouvez déposer une réclamation.",
        f"application {file.receipt} refused",
    )


def notify_decision(session: Session, file: Application, channel: NotificationChannel) -> Notification:
    recipient = None
    if file.person_id is not None:
        recipient = session.execute(select(Person.phone).where(Person.id == file.person_id)).scalar_one_or_none()
    text = decision_text(file)
    now = datetime.now(UTC)
    delivered = channel.deliver(recipient, text)
    message = Notification(
        application_id=file.id,
        channel=channel.name,
        recipient=recipient,
        text_ar=text.ar[:600],
        text_fr=text.fr[:600],
        created_at=now,
        sent_at=now if delivered else None,
    )
    session.add(message)
    if delivered:
        file.notified_at = now
    return message
