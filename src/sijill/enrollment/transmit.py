"""Sending validated files to their operator: batches written before they are sent, sent again
with backoff until acknowledged, and files marked transmitted (their deadline starts) only then.

Nothing is lost when Sijill stops mid-batch (the batch is in the database and goes again under
the same key) and nothing is decided twice when it is sent twice (the operator keeps one decision
per file id).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.db import transaction
from sijill.enrollment.models import Application, ApplicationEvent, ApplicationVersion, OperatorBatch, OperatorBatchFile
from sijill.enrollment.operators import OperatorClient, OperatorUnavailableError, OutgoingBatch
from sijill.enrollment.workflows import shipped_workflows
from sijill.social_registry.models import household_number

BATCH_SIZE = 500
# 2 s, 4 s, 8 s ... at most an hour between attempts.
FIRST_RETRY_S, LAST_RETRY_S = 2.0, 3600.0


def file_id(receipt: str, version: int) -> str:
    return f"{receipt}/{version}"


def _is_postgres(session: Session) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def queue_batches(session: Session, actor: Actor, operator: str, *, size: int = BATCH_SIZE) -> int:
    """Put every validated file of ``operator``'s workflows not yet in a batch into new batches;
    returns how many files were queued."""
    actor.require(Permission.APPLICATION_TRANSMIT)
    flows = [w.id for w in shipped_workflows().values() if w.operator == operator]
    # In a batch already under its current file id (a file back through the flow has a new one).
    current_id = Application.receipt + "/" + cast(Application.current_version, String)
    in_batch = exists().where(
        OperatorBatchFile.application_id == Application.id, OperatorBatchFile.file_id == current_id
    )
    query = (
        select(Application.id, Application.receipt, Application.current_version)
        .where(Application.status == "validated", Application.workflow.in_(flows), ~in_batch)
        .order_by(Application.validated_at, Application.id)
    )
    if _is_postgres(session):
        query = query.with_for_update(skip_locked=True, of=Application)
    files = session.execute(query).all()
    now = datetime.now(UTC)
    for start in range(0, len(files), size):
        chunk = files[start : start + size]
        batch = OperatorBatch(
            operator=operator,
            batch_key=uuid.uuid4().hex,
            status="pending",
            files=len(chunk),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
        session.add(batch)
        session.flush()
        session.execute(
            insert(OperatorBatchFile),
            [{"batch_id": batch.id, "application_id": i, "file_id": file_id(r, v)} for i, r, v in chunk],
        )
    if files:
        audit.record(
            session, actor, "application.queue_batches", "operator_batch", operator, None, {"files": len(files)}
        )
    return len(files)


def _payload(session: Session, batch: OperatorBatch) -> list[dict[str, Any]]:
    rows = session.execute(
        select(OperatorBatchFile.file_id, Application, ApplicationVersion.form)
        .join(Application, Application.id == OperatorBatchFile.application_id)
        .join(
            ApplicationVersion,
            (ApplicationVersion.application_id == Application.id)
            & (ApplicationVersion.number == Application.current_version),
        )
        .where(OperatorBatchFile.batch_id == batch.id)
        .order_by(OperatorBatchFile.file_id)
    ).all()
    workflows = shipped_workflows()
    return [
        {
            "file_id": fid,
            "programme": workflows[file.workflow].programme,
            "applicant_idcs": file.applicant_idcs,
            "members": [m.get("idcs") for m in form.get("members", []) if isinstance(m, dict)],
            "household": household_number(file.household_id) if file.household_id else None,
            "annex_code": file.annex_code,
        }
        for fid, file, form in rows
    ]


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(LAST_RETRY_S, FIRST_RETRY_S * 2 ** (attempts - 1)))


def _acknowledged(session: Session, actor: Actor, batch: OperatorBatch, now: datetime) -> int:
    days = {w.id: w.operator_days for w in shipped_workflows().values()}
    ids = select(OperatorBatchFile.application_id).where(OperatorBatchFile.batch_id == batch.id)
    moved = session.execute(
        select(Application.id, Application.workflow).where(Application.id.in_(ids), Application.status == "validated")
    ).all()
    for workflow, due in {(w, now.date() + timedelta(days=days[w])) for _, w in moved}:
        session.execute(
            update(Application)
            .where(Application.id.in_(ids), Application.status == "validated", Application.workflow == workflow)
            .values(status="transmitted", transmitted_at=now, due_on=due, version=Application.version + 1)
            .execution_options(synchronize_session=False)
        )
    if moved:
        events = [
            {
                "application_id": i,
                "from_status": "validated",
                "to_status": "transmitted",
                "at": now,
                "by": actor.username,
                "detail": batch.batch_key,
            }
            for i, _ in moved
        ]
        session.execute(insert(ApplicationEvent), events)
    batch.status, batch.acknowledged_at, batch.last_error = "acknowledged", now, None
    return len(moved)


@dataclass
class SendReport:
    batches: int = 0
    files: int = 0
    failures: list[str] = field(default_factory=list)


def send_due(
    factory: sessionmaker[Session],
    actor: Actor,
    clients: dict[str, OperatorClient],
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_batches: int | None = None,
) -> SendReport:
    """Send every pending batch whose next attempt is due, one transaction per batch."""
    actor.require(Permission.APPLICATION_TRANSMIT)
    report = SendReport()
    # An operator that failed once is left alone for the rest of the run, rather than waited on
    # for each of its batches.
    down: set[str] = set()
    while max_batches is None or report.batches + len(report.failures) < max_batches:
        reachable = [operator for operator in clients if operator not in down]
        if not reachable:
            return report
        with transaction(factory) as session:
            at = now()
            query = (
                select(OperatorBatch)
                .where(
                    OperatorBatch.status == "pending",
                    OperatorBatch.next_attempt_at <= at,
                    OperatorBatch.operator.in_(reachable),
                )
                .order_by(OperatorBatch.next_attempt_at, OperatorBatch.id)
                .limit(1)
            )
            if _is_postgres(session):
                # Two transmitters never hold the same batch; each takes the next one.
                query = query.with_for_update(skip_locked=True)
            batch = session.execute(query).scalar_one_or_none()
            if batch is None:
                return report
            outgoing = OutgoingBatch(batch.operator, batch.batch_key, _payload(session, batch))
            batch.attempts += 1
            try:
                clients[batch.operator].send(outgoing)
            except OperatorUnavailableError as exc:
                batch.last_error = str(exc)[:200]
                batch.next_attempt_at = at + _backoff(batch.attempts)
                report.failures.append(f"{batch.batch_key}: {exc}")
                down.add(batch.operator)
                continue
            report.files += _acknowledged(session, actor, batch, at)
            report.batches += 1
            audit.record(
                session,
                actor,
                "application.transmit",
                "operator_batch",
                batch.batch_key,
                None,
                {"operator": batch.operator, "files": batch.files, "attempts": batch.attempts},
            )
    return report
