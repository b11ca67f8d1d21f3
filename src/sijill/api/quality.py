"""Reconciliation reports: the funnel per territory level, and the persons behind a gap."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from sijill.api.deps import CurrentActor, Offset, SessionDep
from sijill.quality.deregistration import deregistered_before_declaring
from sijill.quality.funnel import funnel, gap_people
from sijill.quality.one_person import Z_LIMIT, one_person_households
from sijill.quality.run import latest_alerts
from sijill.quality.splitting import DEFAULT_MONTHS as SPLIT_MONTHS
from sijill.quality.splitting import household_splitting

router = APIRouter(prefix="/quality", tags=["quality"])
Code = Annotated[str, Query(pattern=r"^\d{2}(\.\d{2}(\.\d{3}(\.\d{2})?)?)?$", max_length=32)]


class FunnelOut(BaseModel):
    level: str
    within: str | None
    eligibility_run: int | None
    generated_at: datetime
    # Says so when there is nothing to report (not an error).
    empty: bool
    rows: list[dict[str, Any]]


class GapPersonOut(BaseModel):
    idcs: str
    given_name_ar: str | None
    family_name_ar: str | None
    given_name_lat: str | None
    family_name_lat: str | None
    annex_code: str
    household_id: int | None


@router.get("/funnel")
def funnel_report(
    actor: CurrentActor,
    session: SessionDep,
    level: Annotated[str, Query(max_length=10)] = "annex",
    within: Code | None = None,
) -> FunnelOut:
    """Persons at each stage from the RNP to AMO Tadamon, ranked by the RNP−RSU gap."""
    report = funnel(session=session, actor=actor, level=level, code=within)
    return FunnelOut(
        level=report.level,
        within=report.within,
        eligibility_run=report.eligibility_run,
        generated_at=report.generated_at,
        empty=report.empty,
        rows=report.rows.to_dicts(),
    )


@router.get("/gaps/{gap}")
def gap(
    gap: Annotated[str, Path(max_length=40)],
    annex: Code,
    actor: CurrentActor,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[GapPersonOut]:
    """The persons behind one gap of an annex's funnel."""
    people = gap_people(session=session, actor=actor, gap=gap, annex_code=annex, limit=limit, offset=offset)
    return [GapPersonOut(**asdict(person)) for person in people]


class OnePersonOut(BaseModel):
    annexes: list[dict[str, Any]]
    monthly: list[dict[str, Any]]
    z_limit: float


@router.get("/one-person-households")
def one_person(actor: CurrentActor, session: SessionDep, within: Code | None = None) -> OnePersonOut:
    """Annexes on a funnel plot of their one-person share against the census's, with the trend."""
    report = one_person_households(session=session, actor=actor, code=within)
    return OnePersonOut(annexes=report.annexes.to_dicts(), monthly=report.monthly.to_dicts(), z_limit=Z_LIMIT)


class DeregistrationOut(BaseModel):
    months: int
    cases: list[dict[str, Any]]
    by_annex_month: list[dict[str, Any]]


@router.get("/deregistrations")
def deregistrations(
    actor: CurrentActor,
    session: SessionDep,
    within: Code | None = None,
    months: Annotated[int, Query(ge=1, le=36)] = 6,
) -> DeregistrationOut:
    """Persons who left the auto-entrepreneur register shortly before their household's declaration."""
    report = deregistered_before_declaring(session=session, actor=actor, code=within, months=months)
    return DeregistrationOut(
        months=report.months, cases=report.cases.to_dicts(), by_annex_month=report.by_annex_month.to_dicts()
    )


class SplittingOut(BaseModel):
    months: int
    empty: bool
    # Annexes with their test (split-offs against the other annexes' rate), most surprising first.
    annexes: list[dict[str, Any]]
    # Each origin household with its split-offs and the timeline.
    clusters: list[dict[str, Any]]
    splits: list[dict[str, Any]]


@router.get("/household-splitting")
def splitting(
    actor: CurrentActor,
    session: SessionDep,
    within: Code | None = None,
    months: Annotated[int, Query(ge=1, le=60)] = SPLIT_MONTHS,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> SplittingOut:
    """One-person households split off a family at its address or phone shortly before, as clusters
    (the ``limit`` largest clusters and their split-offs)."""
    report = household_splitting(session=session, actor=actor, code=within, months=months)
    clusters = report.clusters.head(limit)
    shown = report.splits.filter(pl.col("origin_household_id").is_in(clusters["cluster"].implode()))
    return SplittingOut(
        months=report.months,
        empty=report.empty,
        annexes=report.by_annex.filter(pl.col("splits") > 0).to_dicts(),
        clusters=clusters.to_dicts(),
        splits=shown.to_dicts(),
    )


class AlertOut(BaseModel):
    id: int
    run_id: int
    detector: str
    territory_code: str
    score: float
    explanation: dict[str, str]
    evidence: dict[str, Any]
    created_at: datetime


@router.get("/alerts")
def alerts(
    actor: CurrentActor,
    session: SessionDep,
    detector: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertOut]:
    """The latest quality run's alerts in the reader's territory, strongest first."""
    return [AlertOut(**asdict(a)) for a in latest_alerts(session=session, actor=actor, detector=detector, limit=limit)]
