"""Operators' callbacks: their decision on each file they were sent, signed with their secret."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from sijill.api.deps import client_source
from sijill.db import transaction
from sijill.enrollment.callbacks import CallbackResult, apply_callback
from sijill.enrollment.notifications import NotificationChannel, RecordingChannel
from sijill.enrollment.operators import SIGNATURE_HEADER
from sijill.errors import SijillError, Text

router = APIRouter(prefix="/operators", tags=["operators"])
MAX_CALLBACK_BYTES = 16 * 1024

_REFUSED = {
    "unknown_file": Text("ملف غير معروف", "Dossier inconnu", "unknown file id"),
    "invalid_transition": Text(
        "حالة الملف لا تسمح بهذا القرار", "L'état du dossier ne permet pas cette décision", "invalid state transition"
    ),
}


@router.post("/{operator}/callbacks", responses={401: {}, 404: {}, 409: {}, 413: {}, 422: {}})
async def callback(operator: Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,40}$")], request: Request) -> JSONResponse:
    """One decision: `{"message_id", "file_id", "outcome": "accepted"|"refused", "reference",
    "reason"}`, signed in the `X-Signature` header (HMAC-SHA256 of the body). A repeated message
    answers as the first time."""
    body = await request.body()
    if len(body) > MAX_CALLBACK_BYTES:
        raise SijillError(
            code="callback_too_large",
            status=413,
            message=Text("رسالة كبيرة جدا", "Message trop volumineux", "callback larger than 16 KiB"),
        )
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    channel: NotificationChannel = getattr(request.app.state, "notification_channel", RecordingChannel())
    signature = request.headers.get(SIGNATURE_HEADER)
    operators = request.app.state.settings.operators
    source = client_source(request)

    def run() -> CallbackResult:
        with transaction(factory) as session:
            return apply_callback(session, operators, operator, body, signature, source=source, channel=channel)

    result = await anyio.to_thread.run_sync(run)
    if result.result in _REFUSED:
        error = SijillError(code=result.result, status=result.status_code, message=_REFUSED[result.result])
        return JSONResponse(status_code=result.status_code, content={"error": error.as_dict()})
    return JSONResponse(status_code=result.status_code, content={"result": result.result})
