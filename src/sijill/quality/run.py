"""`sijill quality run`: every detector, its findings stored as alerts a reader can act on.

Each alert says where (the annex), how strongly (its score: a z-score, a count), why in words
(Arabic, French, English) and where the evidence is (the figures, and the report's API path with
the annex filled in). Readers see the alerts of their territory only, strongest first.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.errors import Text
from sijill.quality.deregistration import DEFAULT_MONTHS, deregistered_before_declaring
from sijill.quality.models import QualityAlert, QualityRun
from sijill.quality.one_person import Z_LIMIT, one_person_households
from sijill.quality.splitting import DEFAULT_MONTHS as SPLIT_MONTHS
from sijill.quality.splitting import P_LIMIT, SplittingReport, household_splitting

# A p-value as a score: -log10, so that 1e-6 scores 6; capped where floating point gives 0.
MAX_SURPRISE = 300.0


def _one_person_alerts(annexes: pl.DataFrame) -> list[dict[str, Any]]:
    alerts = []
    for row in annexes.filter(pl.col("flagged")).iter_rows(named=True):
        share, expected = f"{row['share']:.1%}", f"{row['expected_share']:.1%}"
        text = Text(
            ar=f"نسبة الأسر المكونة من فرد واحد {share} مقابل {expected} المتوقعة حسب الإحصاء (z = {row['z']})",
            fr=f"Ménages d'une personne : {share} contre {expected} attendus d'après le recensement (z = {row['z']})",
            en=f"one-person households {share} against {expected} expected from the census (z = {row['z']})",
        )
        alerts.append(
            {
                "detector": "one_person_households",
                "territory_code": row["annex_code"],
                "score": float(row["z"]),
                "explanation": text.as_dict(),
                "evidence": {
                    "households": row["households"],
                    "one_person": row["one_person"],
                    "share": row["share"],
                    "expected_share": row["expected_share"],
                    "z_limit": Z_LIMIT,
                    "link": f"/api/quality/one-person-households?within={row['annex_code']}",
                },
            }
        )
    return alerts


def _deregistration_alerts(cases: pl.DataFrame, months: int) -> list[dict[str, Any]]:
    alerts = []
    for row in cases.group_by("annex_code").len("cases").sort("annex_code").iter_rows(named=True):
        n = row["cases"]
        text = Text(
            ar=f"{n} شخصا غادروا سجل المقاولين الذاتيين خلال {months} أشهر قبل تصريح أسرهم",
            fr=f"{n} personne(s) ont quitté le registre des auto-entrepreneurs dans les {months} mois "
            "précédant la déclaration de leur ménage",
            en=f"{n} person(s) left the auto-entrepreneur register within {months} months "
            "before their household's declaration",
        )
        alerts.append(
            {
                "detector": "deregistration_before_declaring",
                "territory_code": row["annex_code"],
                "score": float(n),
                "explanation": text.as_dict(),
                "evidence": {
                    "cases": n,
                    "months": months,
                    "link": f"/api/quality/deregistrations?within={row['annex_code']}&months={months}",
                },
            }
        )
    return alerts


def _splitting_alerts(report: SplittingReport) -> list[dict[str, Any]]:
    alerts = []
    for row in report.by_annex.filter(pl.col("flagged")).iter_rows(named=True):
        n, expected = row["splits"], row["expected"]
        text = Text(
            ar=f"{n} أسرة من فرد واحد انفصلت عن أسرة في نفس العنوان أو الهاتف خلال {report.months} شهرا، "
            f"مقابل {expected:.1f} متوقعة حسب باقي الملحقات",
            fr=f"{n} ménage(s) d'une personne détaché(s) d'une famille à la même adresse ou au même téléphone "
            f"en {report.months} mois, contre {expected:.1f} attendu(s) au taux des autres annexes",
            en=f"{n} one-person household(s) split off a family at the same address or phone within "
            f"{report.months} months, against {expected:.1f} expected at the other annexes' rate",
        )
        p_value = row["p_value"]
        alerts.append(
            {
                "detector": "household_splitting",
                "territory_code": row["annex_code"],
                "score": MAX_SURPRISE if p_value <= 0 else min(MAX_SURPRISE, round(-math.log10(p_value), 2)),
                "explanation": text.as_dict(),
                "evidence": {
                    "splits": n,
                    "clusters": row["clusters"],
                    "households": row["households"],
                    "expected": expected,
                    "p_value": p_value,
                    "p_limit": P_LIMIT,
                    "months": report.months,
                    "link": f"/api/quality/household-splitting?within={row['annex_code']}&months={report.months}",
                },
            }
        )
    return alerts


def run_quality(*, session: Session, actor: Actor, months: int = DEFAULT_MONTHS) -> QualityRun:
    """Run every detector over the actor's territory and store what they find."""
    actor.require(Permission.REPORT_READ)
    actor.require(Permission.PERSON_READ)
    started, seconds = datetime.now(UTC), {}
    clock = time.perf_counter()
    alerts = _one_person_alerts(one_person_households(session, actor).annexes)
    seconds["one_person_households"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    alerts += _deregistration_alerts(deregistered_before_declaring(session, actor, months=months).cases, months)
    seconds["deregistration_before_declaring"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    alerts += _splitting_alerts(household_splitting(session, actor, months=SPLIT_MONTHS))
    seconds["household_splitting"] = round(time.perf_counter() - clock, 2)
    run = QualityRun(
        scope_code=actor.scope_code,
        run_by=actor.username,
        started_at=started,
        finished_at=datetime.now(UTC),
        alerts=len(alerts),
        seconds=seconds,
    )
    session.add(run)
    session.flush()
    if alerts:
        session.execute(insert(QualityAlert), [{**a, "run_id": run.id, "created_at": run.finished_at} for a in alerts])
    audit.record(session, actor, "quality.run", "quality_run", str(run.id), actor.scope_code, {"alerts": len(alerts)})
    return run


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
    """The latest run's alerts in the reader's territory, strongest first (empty before any run)."""
    actor.require(Permission.REPORT_READ)
    run_id = session.scalar(select(QualityRun.id).order_by(QualityRun.id.desc()).limit(1))
    if run_id is None:
        return []
    statement = select(QualityAlert).where(QualityAlert.run_id == run_id, in_scope(actor, QualityAlert.territory_code))
    if detector is not None:
        statement = statement.where(QualityAlert.detector == detector)
    rows = session.execute(statement.order_by(QualityAlert.score.desc(), QualityAlert.id).limit(limit)).scalars()
    views = [
        AlertView(a.id, a.run_id, a.detector, a.territory_code, a.score, a.explanation, a.evidence, a.created_at)
        for a in rows
    ]
    audit.record(session, actor, "quality.alerts_read", "quality_alert", None, actor.scope_code, {"alerts": len(views)})
    return views
