"""What-if simulations of a programme rule: aggregates by region and milieu, for analysts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from sijill.api.deps import CurrentActor, SessionDep
from sijill.programmes.simulate import SimulationReport, simulate

router = APIRouter(prefix="/programmes", tags=["programmes"])
Identifier = r"^[A-Za-z0-9._@-]{1,82}$"


@router.get("/{programme}/simulation")
def simulation(
    programme: Annotated[str, Path(pattern=Identifier)],
    actor: CurrentActor,
    session: SessionDep,
    threshold: Annotated[float | None, Query(gt=0, lt=20, description="another index threshold")] = None,
    schedule: Annotated[
        int | None, Query(ge=2000, le=2100, description="amounts of the version starting that year")
    ] = None,
    model: Annotated[str | None, Query(pattern=Identifier, description="index model version")] = None,
    as_of: Annotated[date | None, Query(description="decision day (default: today)")] = None,
    poverty_line: Annotated[
        float | None,
        Query(gt=0, lt=20, description="on generated data: true-consumption line for the errors (index scale)"),
    ] = None,
) -> SimulationReport:
    """The registry decided by the rule in force and by the changed one: who comes in, who goes
    out, what it costs, by region and milieu. Aggregates only. On generated data, `truth` gives
    each rule's inclusion and exclusion errors against the true consumption."""
    return simulate(
        session=session,
        actor=actor,
        programme=programme,
        as_of=as_of or date.today(),
        threshold=threshold,
        schedule=schedule,
        model=model,
        poverty_line=poverty_line,
    )
