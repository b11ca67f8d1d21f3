"""Reconciliation reports: the funnel per territory level, and the persons behind a gap."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from sijill.access.roles import Permission
from sijill.api.deps import CurrentActor, Offset, SessionDep
from sijill.quality.agents import agent_anomalies
from sijill.quality.catalogue import catalogue
from sijill.quality.deregistration import deregistered_before_declaring
from sijill.quality.funnel import funnel, gap_people
from sijill.quality.one_person import Z_LIMIT, one_person_households
from sijill.quality.run import latest_alerts, read_alert
from sijill.quality.score_swings import household_score_swings
from sijill.quality.splitting import DEFAULT_MONTHS as SPLIT_MONTHS
from sijill.quality.splitting import household_splitting
from sijill.quality.trend import latest_violations, violation_trend
from sijill.quality.violations import evaluate, violation_records

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


class RuleOut(BaseModel):
    code: str
    entity: str
    severity: str
    runs: list[str]
    message: dict[str, str]
    fix: dict[str, str]


@router.get("/rules")
def rules(actor: CurrentActor) -> list[RuleOut]:
    """The catalogue: every data rule with its code, severity, where it runs and its messages."""
    actor.require(Permission.REPORT_READ)
    return [
        RuleOut(
            code=e.code,
            entity=e.entity,
            severity=e.severity,
            runs=list(e.runs),
            message=e.message.as_dict(),
            fix=e.fix.as_dict(),
        )
        for e in catalogue()
    ]


class ViolationsOut(BaseModel):
    by: str
    run_id: int | None
    # Says so before any run (sijill quality run), not an error.
    empty: bool
    rows: list[dict[str, Any]]


@router.get("/violations")
def violations(
    actor: CurrentActor,
    session: SessionDep,
    by: Annotated[str, Query(max_length=10)] = "rule",
    within: Code | None = None,
) -> ViolationsOut:
    """The latest run's rule violations in the reader's territory, by rule, annex or agent."""
    rows = latest_violations(session, actor, by=by, code=within)
    run_id = int(rows["run_id"][0]) if not rows.is_empty() else None
    return ViolationsOut(by=by, run_id=run_id, empty=rows.is_empty(), rows=rows.drop("run_id", strict=False).to_dicts())


@router.get("/violations/trend")
def trend(
    actor: CurrentActor,
    session: SessionDep,
    rule: Annotated[str | None, Query(max_length=40)] = None,
    within: Code | None = None,
) -> list[dict[str, Any]]:
    """Each run's violations per rule (the trend), oldest first."""
    return violation_trend(session, actor, code=within, rule=rule).to_dicts()


@router.get("/violations/{rule}")
def violation_list(
    rule: Annotated[str, Path(max_length=40)],
    annex: Code,
    actor: CurrentActor,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """The records of an annex that break one rule now (IDCS or household number, agent)."""
    return violation_records(session, actor, rule, annex, limit=limit, offset=offset).to_dicts()


class AgentsOut(BaseModel):
    empty: bool
    agents: list[dict[str, Any]]


@router.get("/agents")
def agents(
    actor: CurrentActor,
    session: SessionDep,
    within: Code | None = None,
    flagged_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> AgentsOut:
    """Agents against their province's peers: registrations a day, rule breaks, one-person share."""
    report = agent_anomalies(evaluate(session, actor, code=within))
    shown = report.agents.filter(pl.col("flagged")) if flagged_only else report.agents
    return AgentsOut(empty=report.empty, agents=shown.head(limit).to_dicts())


class SwingsOut(BaseModel):
    empty: bool
    annexes: list[dict[str, Any]]
    # Oscillating first, with each household's index history.
    households: list[dict[str, Any]]


@router.get("/score-swings")
def score_swings(
    actor: CurrentActor,
    session: SessionDep,
    within: Code | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> SwingsOut:
    """How much indexes move between declarations; households oscillating around a threshold."""
    report = household_score_swings(session, actor, code=within)
    return SwingsOut(
        empty=report.empty, annexes=report.by_annex.to_dicts(), households=report.households.head(limit).to_dicts()
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


@router.get("/alerts/{alert_id}")
def alert(actor: CurrentActor, session: SessionDep, alert_id: Annotated[int, Path(ge=1, le=2_000_000_000)]) -> AlertOut:
    """One alert with its evidence (any run's), if it lies in the reader's territory."""
    return AlertOut(**asdict(read_alert(session=session, actor=actor, alert_id=alert_id)))
