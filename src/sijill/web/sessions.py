"""Signed-in browser sessions: opened at login, checked and extended on every page, closed at
logout or when idle too long. The cookie holds a random token; the table holds its hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.models import User
from sijill.access.queries import actor_for
from sijill.config import Settings
from sijill.timeutil import as_utc
from sijill.web.models import WebSession

COOKIE = "sijill_session"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The user behind a page request: who acts, in which language, and the form token."""

    actor: Actor
    full_name: str
    language: str
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, actor: Actor, settings: Settings) -> str:
    """A new session for a user who has just proved who they are; returns the cookie's token."""
    assert actor.user_id is not None
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    # Expired sessions of anyone are dropped here, so the table does not grow without a job.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=actor.user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.web_session_max_hours),
            source=actor.source[:128],
        )
    )
    return token


def current(session: Session, token: str | None, settings: Settings, source: str) -> SignedIn | None:
    """The signed-in user of a cookie, or None when it is unknown, expired, idle too long, or its
    account was disabled since; a live session's idle clock starts again."""
    if not token or len(token) > 128:
        return None
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == _digest(token), User.is_active.is_(True))
    ).one_or_none()
    if found is None:
        return None
    web_session, user = found[0], found[1]
    now = datetime.now(UTC)
    idle_limit = as_utc(web_session.last_seen_at) + timedelta(minutes=settings.web_session_idle_minutes)
    if as_utc(web_session.expires_at) <= now or idle_limit <= now:
        session.delete(web_session)
        return None
    web_session.last_seen_at = now
    return SignedIn(
        actor=actor_for(user, source),
        full_name=user.full_name,
        language=user.language,
        csrf_token=web_session.csrf_token,
    )


def close_session(session: Session, token: str | None, actor: Actor) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
        audit.record(session, actor, "auth.logout", "user", str(actor.user_id), actor.scope_code)


def set_language(session: Session, actor: Actor, language: str) -> None:
    """The user's page language, kept on their account so that it follows them to any browser."""
    user = session.get(User, actor.user_id)
    if user is not None and user.language != language:
        user.language = language
        audit.record(session, actor, "user.language", "user", str(user.id), user.scope_code, {"language": language})
