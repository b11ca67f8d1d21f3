"""What-if: the same registry decided by a changed rule (another threshold, another schedule,
another index model), against the rule in force: who comes in, who goes out, what it costs, by
region and milieu. Aggregates only: no named household leaves this module.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.errors import SijillError, Text, invalid
from sijill.programmes.decide import ELIGIBLE, decide, member_links_of
from sijill.programmes.inputs import read_inputs, with_index_of
from sijill.programmes.rule_types import IndexCondition, ProgrammeRule
from sijill.programmes.rules import rule_in_force, shipped_rules
from sijill.programmes.service import model_ref


@dataclass(frozen=True)
class SimulationReport:
    programme: str
    rule: str
    scenario: str
    model: str
    scenario_model: str
    as_of: date
    period: str | None
    # One row per region and milieu, then the totals: households and persons eligible before and
    # after, newly in, newly out, the amount before and after.
    rows: list[dict[str, Any]]
    totals: dict[str, Any]


def _with_threshold(rule: ProgrammeRule, threshold: float) -> ProgrammeRule:
    changed = tuple(
        dataclasses.replace(c, bracket=dataclasses.replace(c.bracket, at_most=threshold))
        if isinstance(c, IndexCondition) and c.bracket.at_most is not None
        else c
        for c in rule.conditions
    )
    if changed == rule.conditions:
        raise invalid(
            "threshold",
            threshold,
            Text(
                "هذا البرنامج بلا عتبة للمؤشر",
                "ce programme n'a pas de seuil d'indice",
                "this programme has no index threshold",
            ),
            Text("اختاروا برنامجا بعتبة", "choisissez un programme à seuil", "choose a programme with a threshold"),
        )
    return dataclasses.replace(rule, conditions=changed, version=f"{rule.version}+threshold-{threshold}")


def _schedule(programme: str, year: int) -> ProgrammeRule:
    found = [r for r in shipped_rules().values() if r.id == programme and r.effective_from.year == year]
    if not found:
        years = sorted({r.effective_from.year for r in shipped_rules().values() if r.id == programme})
        raise SijillError(
            code="unknown_schedule",
            status=422,
            field="schedule",
            value=year,
            message=Text(
                f"لا توجد نسخة من {programme} تبدأ في {year}",
                f"Aucune version de {programme} ne commence en {year}",
                f"no version of {programme} starts in {year}",
            ),
            fix=Text(f"السنوات المتاحة: {years}", f"Années disponibles : {years}", f"available years: {years}"),
        )
    return found[0]


def _outcome(
    rule: ProgrammeRule,
    households: pl.DataFrame,
    members: pl.DataFrame,
    links: pl.DataFrame,
    member_links: pl.DataFrame,
    suffix: str,
) -> pl.DataFrame:
    decided = decide(rule, households, members, links, member_links).decisions
    return decided.select(
        "household_id",
        (pl.col("status") == ELIGIBLE).alias(f"eligible_{suffix}"),
        pl.col("amount").fill_null(0.0).alias(f"amount_{suffix}"),
    )


def _aggregate(frame: pl.DataFrame) -> list[pl.Expr]:
    before, after = pl.col("eligible_before"), pl.col("eligible_after")
    newly_in, newly_out = after & ~before, before & ~after
    return [
        before.sum().alias("households_before"),
        after.sum().alias("households_after"),
        newly_in.sum().alias("households_in"),
        newly_out.sum().alias("households_out"),
        pl.col("persons").filter(before).sum().alias("persons_before"),
        pl.col("persons").filter(after).sum().alias("persons_after"),
        pl.col("persons").filter(newly_in).sum().alias("persons_in"),
        pl.col("persons").filter(newly_out).sum().alias("persons_out"),
        pl.col("amount_before").sum().round(2).alias("amount_before"),
        pl.col("amount_after").sum().round(2).alias("amount_after"),
    ]


def simulate(
    *,
    session: Session,
    actor: Actor,
    programme: str,
    as_of: date,
    threshold: float | None = None,
    schedule: int | None = None,
    model: str | None = None,
) -> SimulationReport:
    """The rule in force on ``as_of`` against the same rule with the changes given."""
    actor.require(Permission.SIMULATE)
    if threshold is not None and not 0 < threshold < 20:
        raise invalid(
            "threshold",
            threshold,
            Text("عتبة بين 0 و20", "seuil entre 0 et 20", "a threshold between 0 and 20"),
            Text("مثال: 9.8", "exemple : 9,8", "e.g. 9.8"),
        )
    base = rule_in_force(shipped_rules(), programme, as_of)
    scenario = _schedule(programme, schedule) if schedule is not None else base
    if threshold is not None:
        scenario = _with_threshold(scenario, threshold)
    base_model = model_ref(as_of, None)
    scenario_model = model_ref(as_of, model)
    inputs = read_inputs(session.connection(), as_of=as_of, model=base_model)
    other = inputs.households
    if scenario_model != base_model:
        other = with_index_of(session.connection(), inputs.households, scenario_model)
    links = member_links_of(inputs.members, inputs.links)
    persons = inputs.members.group_by("household_id").len("persons")
    frame = (
        inputs.households.select("household_id", "region", "milieu")
        .join(persons, on="household_id", how="left")
        .join(_outcome(base, inputs.households, inputs.members, inputs.links, links, "before"), on="household_id")
        .join(_outcome(scenario, other, inputs.members, inputs.links, links, "after"), on="household_id")
        .with_columns(pl.col("persons").fill_null(0))
    )
    rows = frame.group_by("region", "milieu").agg(_aggregate(frame)).sort("region", "milieu").to_dicts()
    totals = frame.select(_aggregate(frame)).to_dicts()[0]
    report = SimulationReport(
        programme=programme,
        rule=base.ref,
        scenario=scenario.ref,
        model=base_model,
        scenario_model=scenario_model,
        as_of=as_of,
        period=base.entitlement.period if base.entitlement else None,
        rows=rows,
        totals=totals,
    )
    audit.record(
        session,
        actor,
        "programme.simulate",
        "programme",
        programme,
        None,
        {"scenario": scenario.ref, "model": scenario_model, "as_of": as_of.isoformat(), "households": frame.height},
    )
    return report
