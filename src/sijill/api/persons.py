"""Persons of the population register: scoped to the caller's territory, every read audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from sijill.api.deps import CurrentActor, Offset, SessionDep
from sijill.population import queries
from sijill.population.schemas import PersonOut, PersonPage

router = APIRouter(prefix="/persons", tags=["population"])


@router.get("")
def list_persons(
    actor: CurrentActor,
    session: SessionDep,
    annex_code: Annotated[str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z.]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> PersonPage:
    items = queries.list_persons(session, actor, annex_code=annex_code, limit=limit, offset=offset)
    return PersonPage(items=items, limit=limit, offset=offset)


@router.get("/{idcs}")
def get_person(
    idcs: Annotated[str, Path(pattern=r"^[0-9]{10}$")], actor: CurrentActor, session: SessionDep
) -> PersonOut:
    return queries.read_person(session, actor, idcs)
