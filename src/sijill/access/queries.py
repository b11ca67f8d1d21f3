"""Reads of the access context."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, select
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry, User
from sijill.access.roles import Permission, Role
from sijill.access.scope import in_scope


def active_user(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username, User.is_active.is_(True))).scalar_one_or_none()


def actor_for(user: User | Row[*tuple[Any, ...]], source: str) -> Actor:
    """The acting identity of a user (a whole record, or a row of its id, username, role, scope)."""
    return Actor(
        username=user.username, role=Role(user.role), scope_code=user.scope_code, source=source, user_id=user.id
    )


_USERS = cast(Table, User.__table__)
# Built once: every request runs it, and building an ORM statement costs more than running it.
_ACTIVE_ACTOR = select(_USERS.c.id, _USERS.c.username, _USERS.c.role, _USERS.c.scope_code).where(
    _USERS.c.username == bindparam("username"), _USERS.c.is_active.is_(True)
)


def active_actor(session: Session, username: str, source: str) -> Actor | None:
    """The acting identity of an active user, read on every request (so that disabling an account
    takes effect at once) with one light statement: the request needs four columns, not a user."""
    row = session.connection().execute(_ACTIVE_ACTOR, {"username": username}).one_or_none()
    return None if row is None else actor_for(row, source)


def list_users(session: Session, actor: Actor) -> list[User]:
    actor.require(Permission.USER_ADMIN)
    query = select(User).order_by(User.username)
    if actor.scope_code is not None:
        query = query.where(in_scope(actor, User.scope_code))
    return list(session.execute(query).scalars())


def audit_entries(
    session: Session,
    actor: Actor,
    *,
    after_seq: int = 0,
    limit: int = 100,
    action: str | None = None,
    username: str | None = None,
) -> list[AuditEntry]:
    actor.require(Permission.AUDIT_READ)
    query = select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if username is not None:
        query = query.where(AuditEntry.actor == username)
    return list(session.execute(query).scalars())
