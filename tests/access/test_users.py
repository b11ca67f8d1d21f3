"""User administration rules: role and scope level agree, names are unique, scope is enforced."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit, queries, service
from sijill.access.actor import Actor
from sijill.access.models import AuditEntry, User
from sijill.access.passwords import verify_password
from sijill.access.roles import ACCOUNT_ROLES, SCOPE_LEVELS, Role
from sijill.access.schemas import UserIn
from sijill.access.scope import code_in_scope
from sijill.db import transaction
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from tests.conftest import actor
from tests.factories import ANNEX_A, seed_territory

SCOPE_BY_LEVEL = {"annex": ANNEX_A, "commune": "03.02.001", "province": "03.02", "region": "03", "national": None}


def _user(role: Role, scope: str | None, username: str = "someone") -> UserIn:
    return UserIn(username=username, full_name="Some One", password="long-enough-password", role=role, scope_code=scope)


@pytest.mark.parametrize("role", sorted(ACCOUNT_ROLES))
def test_each_role_accepts_exactly_its_scope_levels(session: Session, system_actor: Actor, role: Role) -> None:
    seed_territory(session, system_actor)
    allowed = SCOPE_LEVELS[role] or ()
    for level, scope in SCOPE_BY_LEVEL.items():
        username = f"u-{role.value}-{level}".replace("_", "-")
        if level in allowed:
            user = service.create_user(session=session, actor=system_actor, data=_user(role, scope, username))
            assert (user.role, user.scope_code) == (role.value, scope)
        else:
            with pytest.raises(SijillError) as caught:
                service.create_user(session=session, actor=system_actor, data=_user(role, scope, username))
            assert caught.value.field == "scope_code"
            assert caught.value.status == 422


def test_password_is_stored_as_an_argon2_hash(session: Session, system_actor: Actor) -> None:
    user = service.create_user(session=session, actor=system_actor, data=_user(Role.AUDITOR, None))
    assert user.password_hash.startswith("$argon2id$")
    assert "long-enough-password" not in user.password_hash
    assert verify_password(user.password_hash, "long-enough-password")
    assert not verify_password(user.password_hash, "long-enough-passwore")


def test_duplicate_username_is_refused_without_a_second_row(session: Session, system_actor: Actor) -> None:
    service.create_user(session=session, actor=system_actor, data=_user(Role.AUDITOR, None))
    with pytest.raises(SijillError) as caught:
        service.create_user(session=session, actor=system_actor, data=_user(Role.ADMIN, None))
    assert caught.value.code == "username_taken" and caught.value.status == 409
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == 1


def test_unknown_scope_code_is_refused(session: Session, system_actor: Actor) -> None:
    with pytest.raises(SijillError) as caught:
        service.create_user(session=session, actor=system_actor, data=_user(Role.ANNEX_AGENT, "99.99.999.99"))
    assert caught.value.field == "scope_code"
    assert "inconnu" in caught.value.message.fr


@pytest.mark.parametrize(
    "bad", [{"username": "Has Space"}, {"password": "short"}, {"language": "en"}, {"role": "king"}, {"username": "x"}]
)
def test_invalid_user_input_is_rejected_by_the_schema(bad: dict[str, str]) -> None:
    data = {"username": "okname", "full_name": "Ok", "password": "long-enough-password", "role": "auditor", **bad}
    with pytest.raises(ValidationError):
        UserIn.model_validate(data)


def test_non_admin_cannot_create_or_list_users(session: Session) -> None:
    agent = actor(Role.ANNEX_AGENT, ANNEX_A)
    with pytest.raises(ForbiddenError):
        service.create_user(session=session, actor=agent, data=_user(Role.AUDITOR, None))
    with pytest.raises(ForbiddenError):
        queries.list_users(session, agent)


def test_disable_is_audited_once_and_unknown_user_is_not_found(session: Session, system_actor: Actor) -> None:
    service.create_user(session=session, actor=system_actor, data=_user(Role.AUDITOR, None))
    service.disable_user(session=session, actor=system_actor, username="someone")
    service.disable_user(session=session, actor=system_actor, username="someone")
    session.commit()  # audit lines are chained at commit
    actions = session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
    assert actions.count("user.disable") == 1
    with pytest.raises(NotFoundError):
        service.disable_user(session=session, actor=system_actor, username="ghost")


codes = st.from_regex(r"\A[0-9]{2}(\.[0-9]{2}(\.[0-9]{3}(\.[0-9]{2})?)?)?\Z")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(scope=codes, target=codes)
def test_scope_is_the_subtree_and_nothing_else(scope: str, target: str) -> None:
    inside = code_in_scope(actor(Role.REVIEWER, scope), target)
    assert inside == (target == scope or target.startswith(scope + "."))
    # A sibling whose code merely starts with the same digits is never inside.
    assert not code_in_scope(actor(Role.REVIEWER, scope), scope + "9")


def test_two_admins_creating_the_same_username_at_once(
    session_factory: sessionmaker[Session], system_actor: Actor, backend: str
) -> None:
    """One wins; the other gets the clear 409, never a server error or a second row."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create(n: int) -> None:
        try:
            with transaction(session_factory) as session:
                barrier.wait(timeout=10)
                service.create_user(session=session, actor=system_actor, data=_user(Role.AUDITOR, None, "racer"))
            outcomes.append("created")
        except SijillError as exc:
            outcomes.append(exc.code)
        except OperationalError:
            # SQLite serialises writers; a writer that cannot get the lock in time is refused whole.
            outcomes.append("busy")

    threads = [threading.Thread(target=create, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("created") == 1
    assert set(outcomes) <= {"created", "username_taken", "busy"}
    if backend == "postgresql":
        assert sorted(outcomes) == ["created", "username_taken"]
    with session_factory() as session:
        assert session.execute(select(func.count()).select_from(User).where(User.username == "racer")).scalar_one() == 1
        assert audit.verify(session).ok


def test_a_citizen_is_nobody_s_account() -> None:
    with pytest.raises(ValidationError, match="citizens have no account"):
        _user(Role.CITIZEN, None)
