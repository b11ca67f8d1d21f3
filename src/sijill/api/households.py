"""Households of the social registry: declarations, scores and their explanation; scoped and audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from sijill.api.deps import CurrentActor, SessionDep
from sijill.social_registry import queries, service
from sijill.social_registry.schemas import (
    CorrectionIn,
    DeclarationUpdateIn,
    ExplanationOut,
    HistoryOut,
    HouseholdIn,
    HouseholdOut,
    ScoreEventOut,
    ScoreOut,
)

router = APIRouter(prefix="/households", tags=["social registry"])
NumberPath = Annotated[str, Path(pattern=r"^HH[0-9]{9}$")]


@router.post("", status_code=status.HTTP_201_CREATED)
def declare(data: HouseholdIn, actor: CurrentActor, session: SessionDep) -> HouseholdOut:
    """Register a household: every member must be in the RNP; 422 lists every problem of the form."""
    household = service.declare_household(session=session, actor=actor, data=data)
    return queries.read_household(session, actor, household.number)


@router.get("/{number}")
def get_household(number: NumberPath, actor: CurrentActor, session: SessionDep) -> HouseholdOut:
    return queries.read_household(session, actor, number)


@router.post("/{number}/declarations", status_code=status.HTTP_201_CREATED)
def declare_update(
    number: NumberPath, data: DeclarationUpdateIn, actor: CurrentActor, session: SessionDep
) -> HouseholdOut:
    """A new version of the declaration (the whole form); 409 if the household changed since it was read."""
    service.update_declaration(session=session, actor=actor, number=number, data=data)
    return queries.read_household(session, actor, number)


@router.get("/{number}/history")
def history(number: NumberPath, actor: CurrentActor, session: SessionDep) -> HistoryOut:
    return queries.household_history(session, actor, number)


@router.get("/{number}/events")
def events(number: NumberPath, actor: CurrentActor, session: SessionDep) -> list[ScoreEventOut]:
    """Every time the household's index crossed a programme threshold, and why."""
    return queries.household_events(session, actor, number)


@router.get("/{number}/score/explanation")
def explanation(number: NumberPath, actor: CurrentActor, session: SessionDep) -> ExplanationOut:
    """Each variable's contribution to the current index."""
    return queries.explain_score(session, actor, number)


@router.post("/{number}/score/corrections", status_code=status.HTTP_201_CREATED)
def correct(number: NumberPath, data: CorrectionIn, actor: CurrentActor, session: SessionDep) -> ScoreOut:
    """Override the current index with a reason (reviewers and administrators)."""
    service.correct_score(session=session, actor=actor, number=number, data=data)
    household = queries.read_household(session, actor, number)
    assert household.score is not None
    return household.score
