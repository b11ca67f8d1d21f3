"""Append to and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Table, bindparam, event, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry, AuditHead
from sijill.timeutil import as_utc

GENESIS_HASH = "0" * 64


def canonical_content(entry: AuditEntry) -> bytes:
    """The fields a hash covers, in a form identical on every backend."""
    content = {
        "seq": entry.seq,
        "at": as_utc(entry.at).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "scope_code": entry.scope_code,
        "source": entry.source,
        "details": entry.details,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_content(entry)).hexdigest()


_PENDING = "sijill_audit_pending"
# Savepoint -> number of lines pending when it began.
_SAVEPOINTS = "sijill_audit_savepoints"


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | None = None,
    scope_code: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Trace one action in the caller's transaction, so the change and its trace commit together.

    The line is chained when the transaction commits (``_append_pending``): the chain head is
    locked only for the last statements before COMMIT, not while the rest of the request runs, so
    concurrent writers queue for milliseconds instead of for each other's whole requests.
    """
    entry = AuditEntry(
        at=datetime.now(UTC),
        actor=actor.username,
        role=actor.role.value,
        action=action,
        entity=entity,
        entity_id=entity_id,
        scope_code=scope_code,
        source=actor.source,
        details=json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    )
    session.info.setdefault(_PENDING, []).append(entry)


_LOG = cast(Table, AuditEntry.__table__)
_HEAD = cast(Table, AuditHead.__table__)
# Built once: they run at every audited commit, while other writers wait for the head.
_BUMP_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_seq=_HEAD.c.last_seq + bindparam("lines", type_=BigInteger))
    .returning(_HEAD.c.last_seq, _HEAD.c.last_hash)
)
_INSERT_LINES = insert(_LOG)
_SET_TIP = update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=bindparam("tip"))


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    session.info.pop(_SAVEPOINTS, None)
    if not pending:
        return
    # The transaction's own changes are written first, so that the head is locked for the audit
    # statements only; those are Core statements on the session's connection, because the ORM's
    # unit of work would add a millisecond while every other writer waits.
    session.flush()
    connection = session.connection()
    # Bumping the head row first takes its write lock, which serialises appenders on PostgreSQL
    # (row lock) and SQLite (database write lock): two writers never chain onto the same tip.
    last_seq, prev_hash = connection.execute(_BUMP_HEAD, {"lines": len(pending)}).one()
    rows = []
    for seq, entry in enumerate(pending, start=last_seq - len(pending) + 1):
        entry.seq, entry.prev_hash = seq, prev_hash
        entry.row_hash = prev_hash = chain_hash(prev_hash, entry)
        rows.append({column.key: getattr(entry, column.key) for column in _LOG.columns})
    connection.execute(_INSERT_LINES, rows)
    connection.execute(_SET_TIP, {"tip": prev_hash})


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks: dict[int, int] = session.info.setdefault(_SAVEPOINTS, {})
        marks[id(transaction)] = len(session.info.get(_PENDING, []))


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous: SessionTransaction) -> None:
    # What was traced in a rolled-back transaction did not happen; a rolled-back savepoint takes
    # back only the lines traced since it began.
    if previous.nested:
        mark = session.info.get(_SAVEPOINTS, {}).pop(id(previous), None)
        if mark is not None:
            del session.info.get(_PENDING, [])[mark:]
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_SAVEPOINTS, None)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    count: int
    broken_seq: int | None = None
    reason: str | None = None


def verify(session: Session, batch_size: int = 10_000) -> VerifyResult:
    """Walk the chain from the first row; report the first broken link or OK with the count."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch_size))
    for entry in rows.scalars():
        if entry.seq != expected_seq:
            return VerifyResult(False, count, expected_seq, f"row {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return VerifyResult(False, count, entry.seq, "previous-hash link does not match")
        if chain_hash(entry.prev_hash, entry) != entry.row_hash:
            return VerifyResult(False, count, entry.seq, "row content does not match its hash")
        expected_prev = entry.row_hash
        expected_seq += 1
        count += 1
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    if head is None:
        return VerifyResult(False, count, None, "chain head row is missing")
    if head.last_seq != count or head.last_hash != expected_prev:
        return VerifyResult(False, count, count + 1, "rows after the last one found were deleted")
    return VerifyResult(True, count)
