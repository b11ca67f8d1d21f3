"""Territorial units (reference data)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from sijill.access.roles import Permission
from sijill.api.deps import CurrentActor, Offset, SessionDep
from sijill.territory import queries
from sijill.territory.schemas import UnitOut

router = APIRouter(prefix="/territory", tags=["territory"])


@router.get("/units")
def list_units(
    actor: CurrentActor,
    session: SessionDep,
    level: Literal["region", "province", "commune", "annex"] | None = None,
    within: Annotated[str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z.]+$")] = None,
    as_of: date | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Offset = 0,
) -> list[UnitOut]:
    actor.require(Permission.TERRITORY_READ)
    return queries.list_units(session, as_of=as_of, level=level, within=within, limit=limit, offset=offset)


@router.get("/units/{code}")
def get_unit(code: str, actor: CurrentActor, session: SessionDep, as_of: date | None = None) -> UnitOut:
    actor.require(Permission.TERRITORY_READ)
    return queries.get_unit(session, code, as_of)
