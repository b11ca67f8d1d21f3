"""`sijill quality run`: every detector, its findings stored as alerts a reader can act on.

Each alert says where (the annex), how strongly (its score: a z-score, a count), why in words
(Arabic, French, English) and where the evidence is (the figures, and the report's API path with
the annex filled in). Readers see the alerts of their territory only, strongest first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.bulk import bulk_insert, table_of
from sijill.errors import NotFoundError
from sijill.quality.agents import agent_anomalies
from sijill.quality.alerts import (
    agent_alerts,
    deregistration_alerts,
    one_person_alerts,
    splitting_alerts,
    swing_alerts,
    violation_alerts,
)
from sijill.quality.deregistration import DEFAULT_MONTHS, deregistered_before_declaring
from sijill.quality.models import QualityAlert, QualityChecked, QualityRun, QualityViolationCount
from sijill.quality.one_person import one_person_households
from sijill.quality.score_swings import household_score_swings
from sijill.quality.splitting import DEFAULT_MONTHS as SPLIT_MONTHS
from sijill.quality.splitting import household_splitting
from sijill.quality.violations import Violations, evaluate

T = TypeVar("T")


class _Clock:
    """Seconds of each detector, for the run's record and the benchmark."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, name: str, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = work()
        self.seconds[name] = round(time.perf_counter() - started, 2)
        return result


def _store_counts(session: Session, run_id: int, violations: Violations) -> None:
    run = pl.lit(run_id, dtype=pl.Int32).alias("run_id")
    checked = violations.checked().select(run, "entity", "annex_code", "agent", pl.col("records").cast(pl.Int32))
    counts = violations.counts().select(run, "rule", "annex_code", "agent", pl.col("violations").cast(pl.Int32))
    bulk_insert(session, table_of(QualityChecked), checked.to_arrow())
    bulk_insert(session, table_of(QualityViolationCount), counts.to_arrow())


def run_quality(
    *, session: Session, actor: Actor, months: int = DEFAULT_MONTHS, today: date | None = None
) -> QualityRun:
    """Run every detector over the actor's territory; store the alerts and the rules' counts."""
    actor.require(Permission.REPORT_READ)
    actor.require(Permission.PERSON_READ)
    started, clock = datetime.now(UTC), _Clock()
    alerts = clock.time(
        "one_person_households", lambda: one_person_alerts(one_person_households(session, actor).annexes)
    )
    cases = clock.time(
        "deregistration_before_declaring", lambda: deregistered_before_declaring(session, actor, months=months)
    )
    alerts += deregistration_alerts(cases.cases, months)
    alerts += clock.time(
        "household_splitting", lambda: splitting_alerts(household_splitting(session, actor, months=SPLIT_MONTHS))
    )
    alerts += clock.time("score_swings", lambda: swing_alerts(household_score_swings(session, actor)))
    violations = clock.time("data_rules", lambda: evaluate(session, actor, today=today))
    alerts += violation_alerts(violations.counts())
    alerts += clock.time("agent_anomalies", lambda: agent_alerts(agent_anomalies(violations)))
    run = QualityRun(
        scope_code=actor.scope_code,
        run_by=actor.username,
        started_at=started,
        finished_at=datetime.now(UTC),
        alerts=len(alerts),
        seconds=clock.seconds,
    )
    session.add(run)
    session.flush()
    if alerts:
        session.execute(insert(QualityAlert), [{**a, "run_id": run.id, "created_at": run.finished_at} for a in alerts])
    _store_counts(session, run.id, violations)
    audit.record(session, actor, "quality.run", "quality_run", str(run.id), actor.scope_code, {"alerts": len(alerts)})
    return run


def covering_runs(session: Session, territory: str | None) -> list[QualityRun]:
    """The runs that covered all of ``territory`` (None: the nation), latest first.

    A province supervisor's run covers their province only: a national reader must not take
    its alerts for the nation's."""
    runs = session.scalars(select(QualityRun).order_by(QualityRun.id.desc())).all()
    return [
        run
        for run in runs
        if run.scope_code is None
        or (territory is not None and (territory == run.scope_code or territory.startswith(run.scope_code + ".")))
    ]


@dataclass(frozen=True)
class AlertView:
    id: int
    run_id: int
    detector: str
    territory_code: str
    score: float
    explanation: dict[str, Any]
    evidence: dict[str, Any]
    created_at: datetime


def latest_alerts(*, session: Session, actor: Actor, detector: str | None = None, limit: int = 100) -> list[AlertView]:
    """The alerts of the latest run that covered the reader's territory, in that territory,
    strongest first (empty before any such run)."""
    actor.require(Permission.REPORT_READ)
    runs = covering_runs(session, actor.scope_code)
    if not runs:
        return []
    run_id = runs[0].id
    statement = select(QualityAlert).where(QualityAlert.run_id == run_id, in_scope(actor, QualityAlert.territory_code))
    if detector is not None:
        statement = statement.where(QualityAlert.detector == detector)
    rows = session.execute(statement.order_by(QualityAlert.score.desc(), QualityAlert.id).limit(limit)).scalars()
    views = [_view(a) for a in rows]
    audit.record(session, actor, "quality.alerts_read", "quality_alert", None, actor.scope_code, {"alerts": len(views)})
    return views


def _view(a: QualityAlert) -> AlertView:
    return AlertView(a.id, a.run_id, a.detector, a.territory_code, a.score, a.explanation, a.evidence, a.created_at)


def read_alert(*, session: Session, actor: Actor, alert_id: int) -> AlertView:
    """One alert with its evidence, if it lies in the reader's territory (of any run: a link to an
    alert keeps working after the next run)."""
    actor.require(Permission.REPORT_READ)
    found = session.execute(
        select(QualityAlert).where(QualityAlert.id == alert_id, in_scope(actor, QualityAlert.territory_code))
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError("quality_alert", str(alert_id))
    audit.record(session, actor, "quality.alert_read", "quality_alert", str(alert_id), found.territory_code)
    return _view(found)
