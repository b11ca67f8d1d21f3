"""Complaints (réclamations): filed by agents or by applicants, decided by reviewers; and the
messages staff receive (the supervisors' daily report)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status

from sijill.api.applications import citizen_actor
from sijill.api.deps import CurrentActor, SessionDep
from sijill.enrollment.complaints import decide_complaint, file_complaint, list_complaints
from sijill.enrollment.daily_report import messages_for
from sijill.enrollment.schemas import (
    CitizenComplaintIn,
    ComplaintDecisionIn,
    ComplaintIn,
    Label,
    StaffMessageOut,
)

router = APIRouter(prefix="/complaints", tags=["complaints"])
public_router = APIRouter(prefix="/public/complaints", tags=["citizens"])
messages_router = APIRouter(prefix="/messages", tags=["messages"])
NumberPath = Annotated[str, Path(pattern=r"^RC[0-9]{2}-[0-9]{8}-[0-9]$")]


@router.post("", status_code=status.HTTP_201_CREATED)
def file(data: ComplaintIn, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    """About a file (`receipt`) or a household (`household`): exactly one of them."""
    found = file_complaint(
        session,
        actor,
        kind=data.kind,
        description=data.description,
        receipt=data.receipt,
        household=data.household,
    )
    return dataclasses.asdict(found)


@router.get("")
def complaints(
    actor: CurrentActor,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|upheld|rejected)$")] = None,
) -> list[dict[str, Any]]:
    """Complaints in your territory, nearest deadline first."""
    return [dataclasses.asdict(c) for c in list_complaints(session, actor, status=status_)]


@router.post("/{number}/decision")
def decide(number: NumberPath, data: ComplaintDecisionIn, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    """Uphold or reject, with the outcome; upheld, the file goes through the flow again."""
    return dataclasses.asdict(decide_complaint(session, actor, number, upheld=data.upheld, outcome=data.outcome))


@public_router.post("", status_code=status.HTTP_201_CREATED)
def file_online(request: Request, data: CitizenComplaintIn, session: SessionDep) -> dict[str, Any]:
    """The applicant's complaint about their own file (its receipt and the applicant's IDCS)."""
    found = file_complaint(
        session,
        citizen_actor(request),
        kind=data.kind,
        description=data.description,
        receipt=data.receipt,
        applicant_idcs=data.idcs,
    )
    return {"number": found.number, "status": found.status, "due_on": found.due_on.isoformat()}


@messages_router.get("")
def my_messages(actor: CurrentActor, session: SessionDep) -> list[StaffMessageOut]:
    """The reports sent to you, newest first."""
    return [
        StaffMessageOut(subject=m.subject, body=Label(ar=m.body_ar, fr=m.body_fr), created_at=m.created_at)
        for m in messages_for(session, actor)
    ]
