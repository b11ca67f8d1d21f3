"""What the DCI interface answers: the callback header of a sync response, and the error body.

A sync path's answer must carry a `header` even when it refuses (the standard's only schema for
it requires one), while 401/403/500 answers are the standard's HttpErrorResponse (`errors`): the
error body here is both at once, so that it validates whichever the partner checks against.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import JSONResponse

VERSION = "1.0.0"
SENDER_ID = "sijill"

# The standard's `Error.code` values used here.
BAD_REQUEST = "err.request.bad"
UNAUTHORIZED = "err.request.unauthorized"
FORBIDDEN = "err.request.forbidden"
UNAVAILABLE = "err.service.unavailable"
VERSION_NOT_SUPPORTED = "err.version.not_supported"


def now_ts() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_id() -> str:
    return uuid.uuid4().hex


def callback_header(
    action: str,
    status: str,
    *,
    receiver_id: str | None,
    total_count: int = 0,
    completed_count: int = 0,
    reason_code: str | None = None,
    reason_message: str | None = None,
) -> dict[str, Any]:
    header: dict[str, Any] = {
        "version": VERSION,
        "message_id": new_id(),
        "message_ts": now_ts(),
        "action": action,
        "status": status,
        "total_count": total_count,
        "completed_count": completed_count,
        "sender_id": SENDER_ID,
        "is_msg_encrypted": False,
    }
    if receiver_id:
        header["receiver_id"] = receiver_id
    if reason_code:
        header["status_reason_code"] = reason_code
    if reason_message:
        header["status_reason_message"] = reason_message[:999]
    return header


def refusal(
    http_status: int,
    action: str,
    code: str,
    message: str,
    *,
    reason_code: str | None = None,
    receiver_id: str | None = None,
) -> JSONResponse:
    """A refused request, never a trace: the code and a message naming what is wrong."""
    body = {
        "header": callback_header(
            action, "rjct", receiver_id=receiver_id, reason_code=reason_code, reason_message=message
        ),
        "errors": [{"code": code, "message": message[:999]}],
    }
    headers = {"WWW-Authenticate": "Bearer"} if http_status == 401 else None
    return JSONResponse(status_code=http_status, content=body, headers=headers)


def ack(correlation_id: str) -> JSONResponse:
    """An async message accepted: its answer will be POSTed to the sender's callback address."""
    return JSONResponse(
        content={"message": {"ack_status": "ACK", "timestamp": now_ts(), "correlation_id": correlation_id}}
    )


def ack_refusal(http_status: int, code: str, message: str) -> JSONResponse:
    """An async message refused before it is accepted: the standard's ERR acknowledgement, with
    its HttpErrorResponse `errors` for the 401 and 403 a partner checks against that schema."""
    body = {
        "message": {
            "ack_status": "ERR",
            "timestamp": now_ts(),
            "error": {"code": code, "message": message[:999]},
            # Required even here; nothing will ever be correlated with it.
            "correlation_id": new_id(),
        },
        "errors": [{"code": code, "message": message[:999]}],
    }
    headers = {"WWW-Authenticate": "Bearer"} if http_status == 401 else None
    return JSONResponse(status_code=http_status, content=body, headers=headers)
