"""An operator's decision on a file, arriving as a signed callback.

Refused without any change (and logged without personal data): an unknown operator, a bad
signature, a malformed body (nothing is written), an unknown file id or a decision the file's
state does not allow (the callback is kept with the reason of its refusal). The same message
twice is answered as the first time and changes nothing more.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.config import OperatorEndpoint
from sijill.enrollment.decisions import Decision, allowed, record_decision
from sijill.enrollment.models import Application, OperatorBatch, OperatorBatchFile, OperatorCallback
from sijill.enrollment.notifications import NotificationChannel
from sijill.enrollment.operators import signature_valid
from sijill.errors import NotFoundError, SijillError, Text

log = logging.getLogger(__name__)


class CallbackIn(BaseModel):
    message_id: str = Field(min_length=1, max_length=64)
    file_id: str = Field(min_length=1, max_length=32)
    outcome: Literal["accepted", "refused"]
    # The operator's registration number when accepted, its reason code when refused.
    reference: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,60}$")


@dataclass(frozen=True)
class CallbackResult:
    # applied, duplicate, or the refusal's code
    result: str
    status_code: int


def _refusal(code: str, status: int, message: Text) -> SijillError:
    return SijillError(code=code, status=status, field="callback", value=None, message=message, fix=None)


def _parse(body: bytes) -> CallbackIn:
    try:
        return CallbackIn.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise _refusal(
            "callback_invalid",
            422,
            Text("رسالة غير صالحة", "Message de rappel invalide", f"malformed callback: {type(exc).__name__}"),
        ) from None


def _check(message: CallbackIn) -> None:
    if message.outcome == "accepted" and not message.reference:
        raise _refusal(
            "callback_invalid", 422, Text("رقم التسجيل ناقص", "Numéro d'immatriculation manquant", "reference missing")
        )
    if message.outcome == "refused" and not message.reason:
        raise _refusal("callback_invalid", 422, Text("سبب الرفض ناقص", "Motif de refus manquant", "reason missing"))


def apply_callback(
    session: Session,
    operators: dict[str, OperatorEndpoint],
    operator: str,
    body: bytes,
    signature: str | None,
    *,
    source: str,
    channel: NotificationChannel,
) -> CallbackResult:
    endpoint = operators.get(operator)
    if endpoint is None:
        log.warning("callback refused: unknown operator")
        raise NotFoundError("operator", operator[:40])
    if not signature_valid(endpoint.secret, body, signature):
        log.warning("callback refused: bad signature (operator %s)", operator)
        raise _refusal("bad_signature", 401, Text("توقيع غير صحيح", "Signature invalide", "bad signature"))
    message = _parse(body)
    _check(message)
    seen = session.execute(
        select(OperatorCallback.result).where(
            OperatorCallback.operator == operator, OperatorCallback.message_id == message.message_id
        )
    ).scalar_one_or_none()
    if seen is not None:
        return CallbackResult("duplicate", 200 if seen == "applied" else _STATUS.get(seen, 409))
    actor = Actor(username=f"operator:{operator}", role=Role.PROGRAMME_OPERATOR, scope_code=None, source=source)
    result = _decide(session, operator, message, channel, actor)
    try:
        with session.begin_nested():
            session.execute(
                insert(OperatorCallback),
                [
                    {
                        "operator": operator,
                        "message_id": message.message_id,
                        "file_id": message.file_id,
                        "outcome": message.outcome,
                        "received_at": datetime.now(UTC),
                        "result": result,
                    }
                ],
            )
    except IntegrityError:
        # The same message arrived twice at once: the other copy is applied; this one was not.
        session.rollback()
        return CallbackResult("duplicate", 200)
    if result != "applied":
        log.warning("callback refused: %s (operator %s)", result, operator)
    return CallbackResult(result, _STATUS.get(result, 200))


_STATUS = {"applied": 200, "unknown_file": 404, "invalid_transition": 409}


def _decide(session: Session, operator: str, message: CallbackIn, channel: NotificationChannel, actor: Actor) -> str:
    file = session.execute(
        select(Application)
        .join(OperatorBatchFile, OperatorBatchFile.application_id == Application.id)
        .join(OperatorBatch, OperatorBatch.id == OperatorBatchFile.batch_id)
        .where(OperatorBatchFile.file_id == message.file_id, OperatorBatch.operator == operator)
        .with_for_update(of=Application)
    ).scalar_one_or_none()
    if file is None:
        return "unknown_file"
    current = f"{file.receipt}/{file.current_version}"
    if current != message.file_id or not allowed(file, message.outcome):
        return "invalid_transition"
    decision = Decision(outcome=message.outcome, reference=message.reference, reason=message.reason)
    record_decision(session, actor, file, decision, channel)
    return "applied"
