"""Persons of the population register: scoped to the caller's territory, every read audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from sijill.api.deps import CurrentActor, Offset, SessionDep
from sijill.population import life_events, queries, registration
from sijill.population.schemas import (
    CorrectionIn,
    CorrectionOut,
    DeathIn,
    MergeIn,
    MergeOut,
    PersonIn,
    PersonOut,
    PersonPage,
    RegistrationOut,
)

router = APIRouter(prefix="/persons", tags=["population"])
IdcsPath = Annotated[str, Path(pattern=r"^[0-9]{10}$")]
Code = Annotated[str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z.]+$")]
Text100 = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.get("")
def search_persons(
    actor: CurrentActor,
    session: SessionDep,
    annex_code: Code = None,
    cin: Annotated[str | None, Query(max_length=12)] = None,
    phone: Annotated[str | None, Query(max_length=24)] = None,
    name: Text100 = None,
    given_name: Text100 = None,
    family_name: Text100 = None,
    birth_year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    birth_date: date | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> PersonPage:
    """List or search persons; names match in Arabic or Latin script, tolerant of spelling variants."""
    if any((cin, phone, name, given_name, family_name, birth_year, birth_date)):
        items = queries.search_persons(
            session,
            actor,
            cin=cin,
            phone=phone,
            name=name,
            given_name=given_name,
            family_name=family_name,
            birth_year=birth_year,
            birth_date=birth_date,
            annex_code=annex_code,
            limit=limit,
            offset=offset,
        )
    else:
        items = queries.list_persons(session, actor, annex_code=annex_code, limit=limit, offset=offset)
    return PersonPage(items=items, limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def register(data: PersonIn, actor: CurrentActor, session: SessionDep, response: Response) -> RegistrationOut:
    """Register a person: 201 with the new IDCS, or 202 when held for a reviewer (likely duplicate)."""
    result = registration.register_person(session=session, actor=actor, data=data)
    if result.status == "pending_review":
        response.status_code = status.HTTP_202_ACCEPTED
    return result


@router.get("/{idcs}")
def get_person(idcs: IdcsPath, actor: CurrentActor, session: SessionDep) -> PersonOut:
    return queries.read_person(session, actor, idcs)


@router.post("/{idcs}/corrections")
def correct(idcs: IdcsPath, data: CorrectionIn, actor: CurrentActor, session: SessionDep) -> PersonOut:
    """Correct identity fields; send the version you read (409 if someone changed it since)."""
    person = life_events.correct_person(
        session=session, actor=actor, idcs=idcs, changes=data.changes, reason=data.reason, version=data.version
    )
    return PersonOut.model_validate(person)


@router.get("/{idcs}/corrections")
def history(idcs: IdcsPath, actor: CurrentActor, session: SessionDep) -> list[CorrectionOut]:
    rows = life_events.corrections(session=session, actor=actor, idcs=idcs)
    return [CorrectionOut.model_validate(r) for r in rows]


@router.post("/{idcs}/death")
def death(idcs: IdcsPath, data: DeathIn, actor: CurrentActor, session: SessionDep) -> PersonOut:
    person = life_events.record_death(
        session=session, actor=actor, idcs=idcs, death_date=data.death_date, version=data.version
    )
    return PersonOut.model_validate(person)


@router.post("/{idcs}/merge")
def merge(idcs: IdcsPath, data: MergeIn, actor: CurrentActor, session: SessionDep) -> MergeOut:
    """Merge another record of the same person into this one (this IDCS survives)."""
    merged = life_events.merge_persons(
        session=session, actor=actor, survivor_idcs=idcs, merged_idcs=data.merged_idcs, reason=data.reason
    )
    return MergeOut.model_validate(merged)
