"""The audit log is a hash chain: any edit, insertion or deletion is found by verify."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.models import AuditEntry
from sijill.db import transaction


def _append(factory: sessionmaker[Session], actor: Actor, count: int) -> None:
    for i in range(count):
        with transaction(factory) as session:
            audit.record(session, actor, "test.action", "thing", str(i), "03.02", {"i": i})


def _verify(factory: sessionmaker[Session]) -> audit.VerifyResult:
    with factory() as session:
        return audit.verify(session)


def _bypass_append_only(connection: object, backend: str) -> None:
    """What a DBA with full rights could do: switch the protective triggers off."""
    if backend == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))  # type: ignore[attr-defined]
    else:
        connection.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))  # type: ignore[attr-defined]
        connection.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))  # type: ignore[attr-defined]


def _baseline(factory: sessionmaker[Session]) -> int:
    return _verify(factory).count


def test_chain_links_each_row_to_the_previous(session_factory: sessionmaker[Session], system_actor: Actor) -> None:
    before = _baseline(session_factory)
    _append(session_factory, system_actor, 5)
    with session_factory() as session:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    assert [r.seq for r in rows] == list(range(1, before + 6))
    for previous, current in itertools.pairwise(rows):
        assert current.prev_hash == previous.row_hash
        assert current.row_hash == audit.chain_hash(previous.row_hash, current)
    result = _verify(session_factory)
    assert result.ok and result.count == before + 5


def test_verify_finds_a_row_edited_directly_in_the_database(
    engine: Engine, backend: str, session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    before = _baseline(session_factory)
    _append(session_factory, system_actor, 6)
    target = before + 3
    with engine.begin() as connection:
        _bypass_append_only(connection, backend)
        connection.execute(text("UPDATE audit_log SET actor = 'someone_else' WHERE seq = :s"), {"s": target})
    result = _verify(session_factory)
    assert not result.ok
    assert result.broken_seq == target
    assert result.count == target - 1
    assert result.reason == "row content does not match its hash"


def test_verify_finds_a_deleted_row_and_a_deleted_tail(
    engine: Engine, backend: str, session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    before = _baseline(session_factory)
    _append(session_factory, system_actor, 5)
    last = before + 5
    with engine.begin() as connection:
        _bypass_append_only(connection, backend)
        connection.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": last})
    tail = _verify(session_factory)
    assert not tail.ok and tail.broken_seq == last
    with engine.begin() as connection:
        _bypass_append_only(connection, backend)
        connection.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": before + 2})
    gap = _verify(session_factory)
    assert not gap.ok and gap.broken_seq == before + 2 and gap.reason == f"row {before + 2} is missing"


def test_rewritten_hash_still_breaks_the_next_link(
    engine: Engine, backend: str, session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    """Recomputing the edited row's own hash does not help: the next row still points at the old one."""
    before = _baseline(session_factory)
    _append(session_factory, system_actor, 4)
    target = before + 2
    with session_factory() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.seq == target)).scalar_one()
        entry.action = "forged"
        forged_hash = audit.chain_hash(entry.prev_hash, entry)
        session.expunge_all()
    with engine.begin() as connection:
        _bypass_append_only(connection, backend)
        connection.execute(
            text("UPDATE audit_log SET action = 'forged', row_hash = :h WHERE seq = :s"),
            {"h": forged_hash, "s": target},
        )
    result = _verify(session_factory)
    assert not result.ok and result.broken_seq == target + 1
    assert result.reason == "previous-hash link does not match"


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_audit_log_refuses_updates_and_deletes(
    engine: Engine, session_factory: sessionmaker[Session], system_actor: Actor, statement: str
) -> None:
    _append(session_factory, system_actor, 2)
    count = _baseline(session_factory)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    assert _verify(session_factory) == audit.VerifyResult(True, count)


def test_concurrent_appenders_never_fork_the_chain(
    backend: str, session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    before = _baseline(session_factory)
    workers, each = 4, 15
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            _append(session_factory, Actor(f"worker{n}", system_actor.role, None, "test"), each)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = _verify(session_factory)
    assert result.ok
    assert result.count == before + workers * each


def test_failed_transaction_leaves_no_audit_row(session_factory: sessionmaker[Session], system_actor: Actor) -> None:
    before = _baseline(session_factory)

    def change_that_fails() -> None:
        with transaction(session_factory) as session:
            audit.record(session, system_actor, "test.action", "thing")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert _verify(session_factory) == audit.VerifyResult(True, before)


def test_a_rolled_back_transaction_leaves_no_trace_and_a_committed_one_chains_in_order(
    session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    before = _baseline(session_factory)

    def fail_after_tracing() -> None:
        with transaction(session_factory) as session:
            audit.record(session, system_actor, "test.undone", "thing", "1")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        fail_after_tracing()
    with transaction(session_factory) as session:
        for i in range(3):
            audit.record(session, system_actor, "test.batch", "thing", str(i))
    with session_factory() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.seq > before).order_by(AuditEntry.seq)).scalars()
        assert [(r.action, r.entity_id) for r in rows] == [
            ("test.batch", "0"),
            ("test.batch", "1"),
            ("test.batch", "2"),
        ]
    assert _verify(session_factory).ok


def test_a_rolled_back_savepoint_takes_back_only_its_own_lines(
    session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    """A service may retry inside a savepoint (creating a user that another admin just created):
    the lines traced before and after it still commit."""
    before = _baseline(session_factory)

    def traced_then_undone(session: Session) -> None:
        with session.begin_nested():
            audit.record(session, system_actor, "test.undone", "thing", "2")
            raise RuntimeError("lost a race")

    with transaction(session_factory) as session:
        audit.record(session, system_actor, "test.kept", "thing", "1")
        with pytest.raises(RuntimeError):
            traced_then_undone(session)
        audit.record(session, system_actor, "test.after", "thing", "3")
    with session_factory() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.seq > before).order_by(AuditEntry.seq)).scalars()
        traced = [r.action for r in rows]
    assert traced == ["test.kept", "test.after"]
    assert _verify(session_factory).ok
