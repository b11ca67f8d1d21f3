"""Reads of the access context."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry, User
from sijill.access.roles import Permission
from sijill.access.scope import in_scope


def active_user(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username, User.is_active.is_(True))).scalar_one_or_none()


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
