"""Programme decisions for one household: status, reasons, amount line by line; scoped and audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from sijill.api.deps import CurrentActor, SessionDep
from sijill.programmes.queries import household_eligibility
from sijill.programmes.schemas import DecisionOut

router = APIRouter(prefix="/households", tags=["programmes"])
NumberPath = Annotated[str, Path(pattern=r"^HH[0-9]{9}$")]
Identifier = r"^[A-Za-z0-9._@-]{1,82}$"


@router.get("/{number}/eligibility")
def eligibility(
    number: NumberPath,
    actor: CurrentActor,
    session: SessionDep,
    programme: Annotated[str | None, Query(pattern=Identifier, description="one programme id")] = None,
    as_of: Annotated[date | None, Query(description="decision day (default: today)")] = None,
    model: Annotated[str | None, Query(pattern=Identifier, description="index model version")] = None,
) -> list[DecisionOut]:
    """Each programme in force on the day (or one): eligible, not eligible or not decidable, with the
    reasons in Arabic and French, the amount and its lines, and the facts it was decided on."""
    return household_eligibility(session, actor, number, as_of=as_of, programme=programme, model=model)
