"""Who calls the DCI interface: the partner behind a bearer token, or a 401/403 in the
standard's error shape."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.api.deps import client_source
from sijill.config import Settings
from sijill.dci.criteria import Partner
from sijill.dci.models import DciPartner
from sijill.dci.partners import active_partner, as_partner
from sijill.dci.tokens import InvalidPartnerTokenError, read_partner_token


@dataclass(frozen=True, slots=True)
class Caller:
    row: DciPartner
    partner: Partner
    scopes: frozenset[str]
    actor: Actor


class CallerRefusedError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def caller(request: Request, session: Session, settings: Settings, scope: str) -> Caller:
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise CallerRefusedError(401, "err.request.unauthorized", "a bearer token is required (Authorization header)")
    try:
        client_id, scopes = read_partner_token(token.strip(), settings.secret_key)
    except InvalidPartnerTokenError:
        raise CallerRefusedError(401, "err.request.unauthorized", "invalid or expired bearer token") from None
    row = active_partner(session, client_id)
    if row is None:
        raise CallerRefusedError(401, "err.request.unauthorized", "invalid or expired bearer token")
    if scope not in scopes or scope not in row.scopes:
        raise CallerRefusedError(403, "err.request.forbidden", f"this client may not call {scope}")
    return caller_for(row, scopes, client_source(request))


def caller_for(row: DciPartner, scopes: frozenset[str], source: str) -> Caller:
    """The partner as the actor of its calls: also used when its async message is run later."""
    territories = row.territories or []
    # The audit log's actor: one territory is named when the partner has exactly one.
    actor = Actor(
        username=f"dci:{row.client_id}",
        role=Role.PARTNER,
        scope_code=territories[0] if len(territories) == 1 else None,
        source=source,
    )
    return Caller(row=row, partner=as_partner(row), scopes=scopes, actor=actor)
