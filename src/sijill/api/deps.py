"""Typed FastAPI dependencies: a session per request, and the authenticated actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.queries import active_actor
from sijill.access.tokens import InvalidTokenError, read_token
from sijill.config import Settings
from sijill.db import transaction

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)

UNAUTHORISED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail={
        "code": "not_authenticated",
        "message": {"ar": "يلزم تسجيل الدخول", "fr": "Authentification requise", "en": "not authenticated"},
    },
    headers={"WWW-Authenticate": "Bearer"},
)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with transaction(factory) as session:
        yield session


# "function": committed before the answer leaves. By default FastAPI ends a yield dependency after
# the response is sent, so a client could read (or follow a redirect to) what was not committed
# yet, and be told 201 for a write whose commit then failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def client_source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_actor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    if not token:
        raise UNAUTHORISED
    try:
        username = read_token(token, settings.secret_key)
    except InvalidTokenError:
        raise UNAUTHORISED from None
    actor = active_actor(session, username, client_source(request))
    if actor is None:
        raise UNAUTHORISED
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]

# Bounded so a huge value is a 422, not a number the database cannot hold.
MAX_OFFSET = 2_000_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
