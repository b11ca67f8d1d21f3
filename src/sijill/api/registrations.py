"""Registrations and the reviewers' duplicate queue; merges and their revert."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from sijill.api.deps import CurrentActor, Offset, SessionDep
from sijill.population import life_events, registration
from sijill.population.schemas import DecisionIn, MergeOut, RegistrationOut, RevertIn

router = APIRouter(tags=["population"])
Id = Annotated[int, Path(ge=1, le=2_000_000_000)]


@router.get("/registrations/queue")
def queue(
    actor: CurrentActor,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[RegistrationOut]:
    """Registrations held for review in the reviewer's territory, oldest first."""
    return registration.review_queue(session=session, actor=actor, limit=limit, offset=offset)


@router.get("/registrations/{registration_id}")
def show(registration_id: Id, actor: CurrentActor, session: SessionDep) -> RegistrationOut:
    return registration.show_registration(session=session, actor=actor, registration_id=registration_id)


@router.post("/registrations/{registration_id}/decision")
def decide(registration_id: Id, data: DecisionIn, actor: CurrentActor, session: SessionDep) -> RegistrationOut:
    return registration.decide(session=session, actor=actor, registration_id=registration_id, data=data)


@router.post("/merges/{merge_id}/revert")
def revert(merge_id: Id, data: RevertIn, actor: CurrentActor, session: SessionDep) -> MergeOut:
    merge = life_events.revert_merge(session=session, actor=actor, merge_id=merge_id, reason=data.reason)
    return MergeOut.model_validate(merge)
