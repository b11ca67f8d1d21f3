"""The DCI Social Registry API, mounted under /dci: the OAuth2 token, search and transaction
status (sync, and async with callbacks). Every answer is in the standard's shape, refusals
included; never a trace."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from sijill.api.deps import SessionDep, SettingsDep
from sijill.config import Settings
from sijill.dci import answers
from sijill.dci.async_calls import CALLS, AsyncCall
from sijill.dci.auth import Caller, CallerRefusedError, caller
from sijill.dci.envelope import RequestHeader
from sijill.dci.exchanges import DuplicateMessageError, open_exchange
from sijill.dci.keys import jwks
from sijill.dci.partners import authenticate_client, callback_allowed
from sijill.dci.signing import SignatureRefusedError, verify_envelope
from sijill.dci.tokens import issue_partner_token
from sijill.dci.worker import run_now_in_background

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


class RefusedError(Exception):
    """A request turned away before it is run: rendered as a sync answer or an async ERR ack."""

    def __init__(self, status: int, code: str, message: str, reason_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.reason_code = reason_code


def _envelope(body: bytes, model: type[Envelope]) -> tuple[Envelope, dict[str, Any]]:
    """The envelope read, and the document as sent: a signature covers what the partner sent,
    not what the model made of it."""
    if len(body) > MAX_BODY:
        raise RefusedError(413, answers.BAD_REQUEST, f"request body larger than {MAX_BODY} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise RefusedError(400, answers.BAD_REQUEST, "the body is not JSON") from None
    if not isinstance(document, dict):
        raise RefusedError(400, answers.BAD_REQUEST, "the body must be an object")
    try:
        return model.model_validate(document), document
    except ValidationError as exc:
        message = _problems(exc)
        # A header fault names the standard's header reason code, when one fits.
        reason = "rjct.message_ts.invalid" if "header.message_ts" in message else None
        raise RefusedError(400, answers.BAD_REQUEST, message, reason) from None


def _check_header(header: RequestHeader, expected_action: str, items: int) -> None:
    if header.action != expected_action:
        raise RefusedError(
            400,
            answers.BAD_REQUEST,
            f"header.action must be {expected_action!r} on this path, not {header.action!r}",
            "rjct.action.invalid",
        )
    if header.version != answers.VERSION:
        raise RefusedError(
            400,
            answers.VERSION_NOT_SUPPORTED,
            f"header.version {header.version!r} is not supported; use {answers.VERSION}",
            "rjct.version.invalid",
        )
    if header.total_count != items:
        raise RefusedError(
            400,
            answers.BAD_REQUEST,
            f"header.total_count is {header.total_count} but the message holds {items} request(s)",
            "rjct.total_count.invalid",
        )
    if header.is_msg_encrypted:
        raise RefusedError(400, "err.encryption.invalid", "encrypted messages are not accepted by this registry")


def _duplicate(header: RequestHeader) -> RefusedError:
    return RefusedError(
        409,
        answers.BAD_REQUEST,
        f"header.message_id {header.message_id!r} was already received from this client",
        "rjct.message_id.duplicate",
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


def _identify(request: Request, session: Session, settings: Settings, scope: str) -> Caller:
    try:
        return caller(request, session, settings, scope)
    except CallerRefusedError as refused:
        raise RefusedError(refused.status, refused.code, refused.message) from None


def _read(
    request: Request, session: Session, settings: Settings, body: bytes, call: AsyncCall
) -> tuple[Caller, BaseModel, RequestHeader]:
    """The checks every call passes before it is run: its caller, envelope and header."""
    who = _identify(request, session, settings, call.scope)
    envelope, document = _envelope(body, call.model)
    header: RequestHeader = getattr(envelope, "header")  # noqa: B009 (every envelope model has one)
    _check_header(header, call.action, call.count(envelope))
    try:
        verify_envelope(document.get("signature"), document["header"], document.get("message"), who.row)
    except SignatureRefusedError as refused:
        raise RefusedError(400, refused.code, refused.message) from None
    return who, envelope, header


def _signed(request: Request, answer: dict[str, Any], status: int = 200) -> JSONResponse:
    """A sync answer with Sijill's signature over its header and message."""
    sign = request.app.state.dci_signer
    answer["signature"] = sign(answer["header"], answer.get("message"))
    return JSONResponse(status_code=status, content=answer)


def _sync_refusal(refused: RefusedError, reply: str, body: bytes) -> JSONResponse:
    return answers.refusal(
        refused.status,
        reply,
        refused.code,
        refused.message,
        reason_code=refused.reason_code,
        receiver_id=_sender_of(body),
    )


def _sender_of(body: bytes) -> str | None:
    """The sender named in a refused request, to address the refusal to, if it can be read."""
    try:
        document = json.loads(body)
        sender = document["header"]["sender_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return sender if isinstance(sender, str) and 0 < len(sender) <= 200 else None


def _serve(request: Request, session: Session, settings: Settings, body: bytes, call: AsyncCall) -> Response:
    """A sync call: checked, run and answered in the request."""
    try:
        who, envelope, header = _read(request, session, settings, body, call)
        try:
            return _signed(request, call.answer(session, who, envelope, None))
        except DuplicateMessageError:
            raise _duplicate(header) from None
    except RefusedError as refused:
        return _sync_refusal(refused, call.reply, body)


def _callback_address(who: Caller, header: RequestHeader) -> str:
    if not header.sender_uri:
        raise RefusedError(
            400, "err.sender_uri.invalid", "header.sender_uri is required: it is where the answer is sent"
        )
    if not callback_allowed(who.row, header.sender_uri):
        # The address is not repeated: the refusal must not help probe which ones are allowed.
        raise RefusedError(
            400,
            "err.sender_uri.invalid",
            "header.sender_uri is not under a callback address registered for this client",
        )
    return header.sender_uri


def _accept(
    request: Request,
    session: Session,
    settings: Settings,
    body: bytes,
    call: AsyncCall,
    background: BackgroundTasks,
) -> Response:
    """An async call: checked, recorded with its request and acknowledged; run after the answer
    has gone (the worker runs it if this process stops first)."""
    try:
        who, envelope, header = _read(request, session, settings, body, call)
        sender_uri = _callback_address(who, header)
        message = getattr(envelope, "message")  # noqa: B009 (every envelope model has one)
        try:
            exchange = open_exchange(
                session,
                who,
                header,
                call.action,
                message.transaction_id,
                references=call.references(envelope),
                sender_uri=sender_uri,
                request=envelope.model_dump(mode="json"),
            )
        except DuplicateMessageError:
            raise _duplicate(header) from None
    except RefusedError as refused:
        return answers.ack_refusal(refused.status, refused.code, refused.message)
    session.flush()
    background.add_task(run_now_in_background, request.app.state, exchange.id)
    return answers.ack(exchange.correlation_id)


@router.post("/registry/sync/search")
def sync_search(request: Request, session: SessionDep, settings: SettingsDep, body: RawBody) -> Response:
    """Search the registry (idtype-value, expression, predicate) within the partner's territories,
    answered at once with the records in the partner's allowed fields."""
    return _serve(request, session, settings, body, CALLS["search"])


@router.post("/registry/sync/txn/status")
def sync_txn_status(request: Request, session: SessionDep, settings: SettingsDep, body: RawBody) -> Response:
    """The state of an earlier transaction of this partner (one it never sent: `rjct`)."""
    return _serve(request, session, settings, body, CALLS["txn-status"])


@router.post("/registry/search")
def async_search(
    request: Request, session: SessionDep, settings: SettingsDep, body: RawBody, background: BackgroundTasks
) -> Response:
    """The same search, acknowledged at once; the answer is POSTed (`on-search`) to the
    request's `sender_uri`, which must be under one of the partner's registered addresses."""
    return _accept(request, session, settings, body, CALLS["search"], background)


@router.post("/registry/txn/status")
def async_txn_status(
    request: Request, session: SessionDep, settings: SettingsDep, body: RawBody, background: BackgroundTasks
) -> Response:
    """Transaction status, acknowledged at once and answered by `txn-on-status` to `sender_uri`."""
    return _accept(request, session, settings, body, CALLS["txn-status"], background)


@router.post("/registry/subscribe")
def subscribe(
    request: Request, session: SessionDep, settings: SettingsDep, body: RawBody, background: BackgroundTasks
) -> Response:
    """Subscribe to registry events within the partner's territories: `ACK`, then `on-subscribe`
    to `sender_uri`, where the `notify` messages of each subscription go afterwards."""
    return _accept(request, session, settings, body, CALLS["subscribe"], background)


@router.post("/registry/unsubscribe")
def unsubscribe(
    request: Request, session: SessionDep, settings: SettingsDep, body: RawBody, background: BackgroundTasks
) -> Response:
    """End subscriptions by their codes: `ACK`, then `on-unsubscribe` to `sender_uri`."""
    return _accept(request, session, settings, body, CALLS["unsubscribe"], background)


@router.get("/.well-known/jwks.json")
def published_keys(settings: SettingsDep) -> JSONResponse:
    """Sijill's public signing keys (current and retired), to check its answers and callbacks."""
    return JSONResponse(content=jwks(settings), headers={"Cache-Control": "public, max-age=300"})
