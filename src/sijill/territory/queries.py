"""Reads of the territory context. Territory is reference data: no personal data, no scope
filter needed to read names, but listings can be narrowed to a subtree."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sijill.errors import NotFoundError
from sijill.territory.models import TerritoryUnit, TerritoryUnitVersion
from sijill.territory.schemas import UnitOut


def _in_force(as_of: date) -> object:
    return and_(
        TerritoryUnitVersion.valid_from <= as_of,
        or_(TerritoryUnitVersion.valid_to.is_(None), TerritoryUnitVersion.valid_to > as_of),
    )


def list_units(
    session: Session,
    *,
    as_of: date | None = None,
    level: str | None = None,
    within: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[UnitOut]:
    """Units in force on a date, optionally one level, optionally inside one unit's subtree."""
    moment = as_of or date.today()
    query = (
        select(TerritoryUnit, TerritoryUnitVersion)
        .join(TerritoryUnitVersion, TerritoryUnitVersion.code == TerritoryUnit.code)
        .where(_in_force(moment))  # type: ignore[arg-type]
        .order_by(TerritoryUnit.code)
        .limit(limit)
        .offset(offset)
    )
    if level is not None:
        query = query.where(TerritoryUnit.level == level)
    if within is not None:
        query = query.where(TerritoryUnit.code.like(within + ".%"))
    return [_out(unit, version) for unit, version in session.execute(query)]


def get_unit(session: Session, code: str, as_of: date | None = None) -> UnitOut:
    moment = as_of or date.today()
    row = session.execute(
        select(TerritoryUnit, TerritoryUnitVersion)
        .join(TerritoryUnitVersion, TerritoryUnitVersion.code == TerritoryUnit.code)
        .where(TerritoryUnit.code == code, _in_force(moment))  # type: ignore[arg-type]
    ).first()
    if row is None:
        raise NotFoundError("territory_unit", code)
    return _out(row[0], row[1])


def unit_level(session: Session, code: str) -> str | None:
    return session.execute(select(TerritoryUnit.level).where(TerritoryUnit.code == code)).scalar_one_or_none()


def _out(unit: TerritoryUnit, version: TerritoryUnitVersion) -> UnitOut:
    return UnitOut(
        code=unit.code,
        level=unit.level,
        parent_code=unit.parent_code,
        kind=version.kind,
        milieu=unit.milieu,
        name_fr=version.name_fr,
        name_ar=version.name_ar,
        official_code=unit.official_code,
        valid_from=version.valid_from,
        valid_to=version.valid_to,
    )
