"""The DCI Social Registry API, mounted under /dci: the OAuth2 token, sync search and sync
transaction status. Every answer is in the standard's shape, refusals included; never a trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from sijill.api.deps import SessionDep, SettingsDep
from sijill.config import Settings
from sijill.dci import answers
from sijill.dci.auth import Caller, CallerRefusedError, caller
from sijill.dci.envelope import RequestHeader, SearchEnvelope, TxnStatusEnvelope
from sijill.dci.exchanges import DuplicateMessageError, answer_search, answer_txn_status
from sijill.dci.partners import authenticate_client
from sijill.dci.tokens import issue_partner_token

router = APIRouter(prefix="/dci", tags=["dci"])
log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024
Envelope = TypeVar("Envelope", bound=BaseModel)


def _problems(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


# Read here so that the handlers can be plain functions, run on worker threads: their database
# work must not hold the event loop.
RawBody = Annotated[bytes, Depends(_raw_body)]


def _envelope(body: bytes, model: type[Envelope], reply_action: str) -> Envelope | JSONResponse:
    if len(body) > MAX_BODY:
        return answers.refusal(413, reply_action, answers.BAD_REQUEST, f"request body larger than {MAX_BODY} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        return answers.refusal(400, reply_action, answers.BAD_REQUEST, "the body is not JSON")
    if not isinstance(document, dict):
        return answers.refusal(400, reply_action, answers.BAD_REQUEST, "the body must be an object")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        message = _problems(exc)
        # A header fault names the standard's header reason code, when one fits.
        reason = "rjct.message_ts.invalid" if "header.message_ts" in message else None
        return answers.refusal(400, reply_action, answers.BAD_REQUEST, message, reason_code=reason)


def _header_refusal(header: RequestHeader, expected_action: str, reply_action: str, items: int) -> JSONResponse | None:
    if header.action != expected_action:
        return answers.refusal(
            400,
            reply_action,
            answers.BAD_REQUEST,
            f"header.action must be {expected_action!r} on this path, not {header.action!r}",
            reason_code="rjct.action.invalid",
            receiver_id=header.sender_id,
        )
    if header.version != answers.VERSION:
        return answers.refusal(
            400,
            reply_action,
            answers.VERSION_NOT_SUPPORTED,
            f"header.version {header.version!r} is not supported; use {answers.VERSION}",
            reason_code="rjct.version.invalid",
            receiver_id=header.sender_id,
        )
    if header.total_count != items:
        return answers.refusal(
            400,
            reply_action,
            answers.BAD_REQUEST,
            f"header.total_count is {header.total_count} but the message holds {items} request(s)",
            reason_code="rjct.total_count.invalid",
            receiver_id=header.sender_id,
        )
    if header.is_msg_encrypted:
        return answers.refusal(
            400,
            reply_action,
            "err.encryption.invalid",
            "encrypted messages are not accepted by this registry",
            receiver_id=header.sender_id,
        )
    return None


def _duplicate(header: RequestHeader, reply_action: str) -> JSONResponse:
    return answers.refusal(
        409,
        reply_action,
        answers.BAD_REQUEST,
        f"header.message_id {header.message_id!r} was already received from this client",
        reason_code="rjct.message_id.duplicate",
        receiver_id=header.sender_id,
    )


@router.post("/oauth2/client/token")
def token(
    session: SessionDep,
    settings: SettingsDep,
    grant_type: Annotated[str, Form(max_length=40)] = "",
    client_id: Annotated[str, Form(max_length=64)] = "",
    client_secret: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[str, Form(max_length=500)] = "",
) -> JSONResponse:
    """OAuth2 client credentials (RFC 6749 §4.4): a bearer token for the scopes asked (all the
    client's scopes when none is asked)."""
    if grant_type != "client_credentials":
        return JSONResponse(
            status_code=400,
            content={"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"},
        )
    partner = authenticate_client(session, client_id, client_secret)
    if partner is None:
        return JSONResponse(
            status_code=401,
            content={"error": "invalid_client", "error_description": "unknown client or wrong secret"},
            headers={"WWW-Authenticate": "Basic"},
        )
    asked = scope.split() or list(partner.scopes)
    refused = [s for s in asked if s not in partner.scopes]
    if refused:
        return JSONResponse(
            status_code=400,
            content={"error": "invalid_scope", "error_description": f"not granted to this client: {' '.join(refused)}"},
        )
    issued = issue_partner_token(partner.client_id, asked, settings.secret_key, settings.dci_token_minutes)
    # `expires_in` is a string in the standard's authorization API.
    return JSONResponse(
        content={"access_token": issued, "token_type": "bearer", "expires_in": str(settings.dci_token_minutes * 60)},
        headers={"Cache-Control": "no-store"},
    )


def _identify(request: Request, session: Session, settings: Settings, scope: str, reply: str) -> Caller | Response:
    try:
        return caller(request, session, settings, scope)
    except CallerRefusedError as refused:
        return answers.refusal(refused.status, reply, refused.code, refused.message)


def _serve(
    request: Request,
    session: Session,
    settings: Settings,
    body: bytes,
    *,
    scope: str,
    model: type[Envelope],
    action: str,
    reply: str,
    count: Callable[[Envelope], int],
    answer: Callable[[Session, Caller, Envelope], dict[str, Any]],
) -> Response:
    """The steps every sync call takes: the caller, the envelope, its header, then the answer."""
    who = _identify(request, session, settings, scope, reply)
    if isinstance(who, Response):
        return who
    envelope = _envelope(body, model, reply)
    if isinstance(envelope, JSONResponse):
        return envelope
    header: RequestHeader = getattr(envelope, "header")  # noqa: B009 (every envelope model has one)
    refused = _header_refusal(header, action, reply, count(envelope))
    if refused is not None:
        return refused
    try:
        return JSONResponse(content=answer(session, who, envelope))
    except DuplicateMessageError:
        return _duplicate(header, reply)


@router.post("/registry/sync/search")
def sync_search(request: Request, session: SessionDep, settings: SettingsDep, body: RawBody) -> Response:
    """Search the registry (idtype-value, expression, predicate) within the partner's territories,
    answered at once with the records in the partner's allowed fields."""
    return _serve(
        request,
        session,
        settings,
        body,
        scope="registry.search",
        model=SearchEnvelope,
        action="search",
        reply="on-search",
        count=lambda envelope: len(envelope.message.search_request),
        answer=answer_search,
    )


@router.post("/registry/sync/txn/status")
def sync_txn_status(request: Request, session: SessionDep, settings: SettingsDep, body: RawBody) -> Response:
    """The state of an earlier transaction of this partner (one it never sent: `rjct`)."""
    return _serve(
        request,
        session,
        settings,
        body,
        scope="registry.txn-status",
        model=TxnStatusEnvelope,
        action="txn-status",
        reply="txn-on-status",
        count=lambda _envelope: 1,
        answer=answer_txn_status,
    )
