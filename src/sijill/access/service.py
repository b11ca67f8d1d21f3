"""Writes of the access context: users. One transaction each, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.models import User
from sijill.access.passwords import hash_password, verify_password
from sijill.access.queries import actor_for
from sijill.access.roles import SCOPE_LEVELS, Permission, Role
from sijill.access.schemas import UserIn
from sijill.access.scope import code_in_scope
from sijill.errors import NotFoundError, SijillError, Text, invalid
from sijill.territory.queries import unit_level
from sijill.timeutil import as_utc


def _check_scope(session: Session, role: Role, scope_code: str | None) -> None:
    allowed = SCOPE_LEVELS[role] or ()
    level = "national" if scope_code is None else unit_level(session, scope_code)
    if level is None:
        raise invalid(
            "scope_code",
            scope_code,
            Text("رمز التراب غير معروف", "code territorial inconnu", "unknown territory code"),
            Text(
                "استعملوا رمزا من لائحة الوحدات الترابية",
                "Utilisez un code de la liste des unités territoriales",
                "use a code from the territory list",
            ),
        )
    if level not in allowed:
        levels = ", ".join(allowed)
        raise invalid(
            "scope_code",
            scope_code,
            Text(
                f"الدور {role.value} يتطلب نطاقا من مستوى: {levels}",
                f"le rôle {role.value} exige un périmètre de niveau : {levels}",
                f"role {role.value} needs a scope at level: {levels}",
            ),
            Text(
                "اختاروا وحدة ترابية من المستوى المناسب (أو بدون نطاق للمستوى الوطني)",
                "Choisissez une unité du bon niveau (ou aucun périmètre pour le niveau national)",
                "pick a unit at the right level (or none for national)",
            ),
        )


def create_user(*, session: Session, actor: Actor, data: UserIn) -> User:
    actor.require(Permission.USER_ADMIN)
    if not code_in_scope(actor, data.scope_code):
        raise NotFoundError("territory_unit", data.scope_code or "national")
    _check_scope(session, data.role, data.scope_code)
    if session.execute(select(User.id).where(User.username == data.username)).first() is not None:
        raise _username_taken(data.username)
    user = User(
        username=data.username,
        full_name=data.full_name,
        password_hash=hash_password(data.password),
        role=data.role.value,
        scope_code=data.scope_code,
        language=data.language,
        is_active=True,
        created_at=datetime.now(UTC),
        created_by=actor.username,
        failed_logins=0,
    )
    try:
        # A savepoint, so that losing a race with another admin leaves the transaction usable.
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise _username_taken(data.username) from None
    audit.record(session, actor, "user.create", "user", str(user.id), data.scope_code, {"role": data.role.value})
    return user


def _username_taken(username: str) -> SijillError:
    return SijillError(
        code="username_taken",
        field="username",
        value=username,
        status=409,
        message=Text("اسم المستخدم مستعمل", "Nom d'utilisateur déjà pris", "username already exists"),
        fix=Text("اختاروا اسما آخر", "Choisissez un autre nom", "choose another username"),
    )


def disable_user(*, session: Session, actor: Actor, username: str) -> User:
    actor.require(Permission.USER_ADMIN)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not code_in_scope(actor, user.scope_code):
        raise NotFoundError("user", username)
    if user.is_active:
        user.is_active = False
        user.disabled_at = datetime.now(UTC)
        audit.record(session, actor, "user.disable", "user", str(user.id), user.scope_code)
    return user


def authenticate(
    *, session: Session, username: str, password: str, source: str, max_failures: int, lock_minutes: int
) -> Actor | None:
    """The actor for valid, active, unlocked credentials; None otherwise (the caller answers 401).

    Failures are counted even though the caller refuses the login, so the caller must commit
    the session before answering.
    """
    now = datetime.now(UTC)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not user.is_active:
        return None
    locked_until = as_utc(user.locked_until) if user.locked_until else None
    if locked_until is not None and locked_until > now:
        # A correct password does not unlock early: guessing must stay useless during the lock.
        audit.record(session, actor_for(user, source), "auth.refused_locked", "user", str(user.id), user.scope_code)
        return None
    if not valid:
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            audit.record(
                session,
                actor_for(user, source),
                "auth.locked",
                "user",
                str(user.id),
                user.scope_code,
                {"minutes": lock_minutes},
            )
        return None
    user.failed_logins = 0
    user.locked_until = None
    actor = actor_for(user, source)
    audit.record(session, actor, "auth.login", "user", str(user.id), user.scope_code)
    return actor
