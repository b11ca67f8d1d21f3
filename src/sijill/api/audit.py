"""The audit log, for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sijill.access import audit, queries
from sijill.access.roles import Permission
from sijill.access.schemas import AuditEntryOut
from sijill.api.deps import CurrentActor, Offset, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])


class VerifyOut(BaseModel):
    ok: bool
    count: int
    broken_seq: int | None
    reason: str | None


@router.get("/entries")
def entries(
    actor: CurrentActor,
    session: SessionDep,
    after_seq: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: str | None = None,
    username: str | None = None,
) -> list[AuditEntryOut]:
    rows = queries.audit_entries(session, actor, after_seq=after_seq, limit=limit, action=action, username=username)
    out = [AuditEntryOut.model_validate(r) for r in rows]
    # Reading the trail is itself traced: auditors are accountable too.
    audit.record(session, actor, "audit.read", "audit_log", None, None, {"after_seq": after_seq, "returned": len(out)})
    return out


@router.get("/verify")
def verify(actor: CurrentActor, session: SessionDep) -> VerifyOut:
    actor.require(Permission.AUDIT_READ)
    result = audit.verify(session)
    return VerifyOut(ok=result.ok, count=result.count, broken_seq=result.broken_seq, reason=result.reason)
