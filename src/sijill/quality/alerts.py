"""Alerts from the detectors' findings: where, how strongly, why in words, where the evidence is.

Each builder turns one report into alert rows (detector, territory_code, score, explanation in
Arabic, French and English, evidence with the figures and the API path of the report).
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from sijill.errors import Text
from sijill.quality.agents import Z_LIMIT as AGENT_Z_LIMIT
from sijill.quality.agents import AgentReport
from sijill.quality.data_rules import RULES
from sijill.quality.one_person import Z_LIMIT
from sijill.quality.score_swings import SwingReport
from sijill.quality.splitting import P_LIMIT, SplittingReport

# A p-value as a score: -log10, so that 1e-6 scores 6; capped where floating point gives 0.
MAX_SURPRISE = 300.0


def one_person_alerts(annexes: pl.DataFrame) -> list[dict[str, Any]]:
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


def deregistration_alerts(cases: pl.DataFrame, months: int) -> list[dict[str, Any]]:
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


def splitting_alerts(report: SplittingReport) -> list[dict[str, Any]]:
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


AGENT_REASONS = {
    "one_person_households": Text(
        "نسبة مرتفعة من الأسر المكونة من فرد واحد",
        "part élevée de ménages d'une personne",
        "many one-person households",
    ),
    "registrations_per_day": Text(
        "عدد تسجيلات يومي مرتفع", "nombre élevé d'inscriptions par jour", "many registrations a day"
    ),
}


def _reason(code: str) -> Text:
    return RULES[code].message if code in RULES else AGENT_REASONS[code]


def agent_alerts(report: AgentReport) -> list[dict[str, Any]]:
    alerts = []
    for row in report.agents.filter(pl.col("flagged")).iter_rows(named=True):
        reasons = [_reason(code) for code in row["reasons"]]
        text = Text(
            ar=f"العون {row['agent']} يختلف عن أعوان نفس الإقليم: " + "؛ ".join(r.ar for r in reasons),
            fr=f"L'agent {row['agent']} se distingue des agents de sa province : " + " ; ".join(r.fr for r in reasons),
            en=f"agent {row['agent']} stands out from the agents of their province: "
            + "; ".join(r.en for r in reasons),
        )
        share, peers = row["worst_rule_share"], row["worst_rule_peer_share"]
        alerts.append(
            {
                "detector": "agent_anomalies",
                "territory_code": row["annex_code"],
                "score": float(row["z"]),
                "explanation": text.as_dict(),
                "evidence": {
                    "agent": row["agent"],
                    "area": row["area"],
                    "reasons": row["reasons"],
                    "persons": row["persons"],
                    "per_day": row["per_day"],
                    "per_day_z": row["per_day_z"],
                    "one_person_share": row["one_person_share"],
                    "one_person_z": row["one_person_z"],
                    "worst_rule": row["worst_rule"],
                    "worst_rule_share": share,
                    "worst_rule_peer_share": peers,
                    "worst_rule_z": row["worst_rule_z"],
                    "z_limit": AGENT_Z_LIMIT,
                    "link": f"/api/quality/agents?within={row['annex_code']}",
                },
            }
        )
    return alerts


def violation_alerts(counts: pl.DataFrame) -> list[dict[str, Any]]:
    """One alert per annex and error-severity rule broken in the stored registry."""
    errors = [code for code, rule in RULES.items() if rule.severity == "error"]
    per_annex = (
        counts.filter(pl.col("rule").is_in(errors))
        .group_by("annex_code", "rule")
        .agg(pl.col("violations").sum())
        .sort("annex_code", "rule")
    )
    alerts = []
    for row in per_annex.iter_rows(named=True):
        rule = RULES[row["rule"]]
        n = row["violations"]
        text = Text(
            ar=f"{n} سجلا: {rule.message.ar}",
            fr=f"{n} enregistrement(s) : {rule.message.fr}",
            en=f"{n} record(s): {rule.message.en}",
        )
        alerts.append(
            {
                "detector": "data_rules",
                "territory_code": row["annex_code"],
                "score": float(n),
                "explanation": text.as_dict(),
                "evidence": {
                    "rule": rule.code,
                    "violations": n,
                    "fix": rule.fix.as_dict(),
                    "link": f"/api/quality/violations?by=annex&within={row['annex_code']}",
                },
            }
        )
    return alerts


def swing_alerts(report: SwingReport) -> list[dict[str, Any]]:
    """One alert per annex with households whose index crossed a threshold back and forth."""
    alerts = []
    for row in report.by_annex.filter(pl.col("oscillating") > 0).iter_rows(named=True):
        n = row["oscillating"]
        text = Text(
            ar=f"{n} أسرة تجاوز مؤشرها عتبة برنامج ذهابا وإيابا بين تصريحاتها",
            fr=f"{n} ménage(s) dont l'indice a franchi un seuil de programme dans un sens puis dans l'autre "
            "d'une déclaration à l'autre",
            en=f"{n} household(s) whose index crossed a programme threshold back and forth between declarations",
        )
        alerts.append(
            {
                "detector": "score_swings",
                "territory_code": row["annex_code"],
                "score": float(n),
                "explanation": text.as_dict(),
                "evidence": {
                    "oscillating": n,
                    "crossing": row["crossing"],
                    "households": row["households"],
                    "mean_absolute_change": row["mean_absolute_change"],
                    "link": f"/api/quality/score-swings?within={row['annex_code']}",
                },
            }
        )
    return alerts
