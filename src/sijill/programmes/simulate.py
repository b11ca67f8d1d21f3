"""What-if: the same registry decided by a changed rule (another threshold, another schedule,
another index model), against the rule in force: who comes in, who goes out, what it costs, by
region and milieu. Aggregates only: no named household leaves this module.

On generated data, whose true consumption is known, both rules are also measured against it: the
inclusion error (households reached that are not poor) and the exclusion error (poor households
missed), for a poverty line on the index's scale.
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
from sijill.bulk import read_frame
from sijill.errors import SijillError, Text, invalid
from sijill.programmes.decide import ELIGIBLE, decide, member_links_of
from sijill.programmes.inputs import read_inputs, with_index_of
from sijill.programmes.rule_types import IndexCondition, ProgrammeRule
from sijill.programmes.rules import rule_in_force, shipped_rules
from sijill.programmes.service import model_ref
from sijill.social_registry.models import SyntheticTruth


@dataclass(frozen=True)
class TargetingErrors:
    """One rule's decisions against the true consumption."""

    eligible: int
    # Eligible and not poor; its rate is a share of the eligible.
    inclusion_errors: int
    inclusion_error_rate: float | None
    # Poor and not eligible (refused, excluded, or not decidable); its rate is a share of the poor.
    exclusion_errors: int
    exclusion_error_rate: float | None


@dataclass(frozen=True)
class TruthComparison:
    """Both rules against the true consumption of the households whose truth is known."""

    poverty_line: float
    households: int
    poor: int
    before: TargetingErrors
    after: TargetingErrors


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
    # Only on generated data; then `rows` also count the poor and each rule's errors.
    truth: TruthComparison | None


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


def _with_truth(session: Session, frame: pl.DataFrame) -> pl.DataFrame:
    truth = read_frame(
        session.connection(),
        f"SELECT household_id, log_consumption FROM {SyntheticTruth.__tablename__}",  # noqa: S608
        {"household_id": pl.Int64(), "log_consumption": pl.Float64()},
    )
    return frame.join(truth, on="household_id", how="left")


def _poverty_line(rule: ProgrammeRule, given: float | None) -> float | None:
    if given is not None:
        _check_index_value("poverty_line", given)
        return given
    # The line the rule in force targets: its own threshold.
    return next(
        (c.bracket.at_most for c in rule.conditions if isinstance(c, IndexCondition) and c.bracket.at_most),
        None,
    )


def _check_index_value(field: str, value: float) -> None:
    if not 0 < value < 20:
        raise invalid(
            field,
            value,
            Text(
                "قيمة بين 0 و20 على سلم المؤشر",
                "valeur entre 0 et 20 sur l'échelle de l'indice",
                "a value between 0 and 20 on the index's scale",
            ),
            Text("مثال: 9.8", "exemple : 9,8", "e.g. 9.8"),
        )


def _error_counts(line: float | None, frame: pl.DataFrame) -> list[pl.Expr]:
    """Per rule, inclusion and exclusion errors; none without a line or without any truth."""
    known = pl.col("log_consumption").is_not_null()
    if line is None or not frame.select(known.any()).item():
        return []
    poor = known & (pl.col("log_consumption") <= line)
    counts = [poor.sum().alias("poor")]
    for side in ("before", "after"):
        eligible = pl.col(f"eligible_{side}")
        counts += [
            (known & eligible & ~poor).sum().alias(f"inclusion_errors_{side}"),
            (poor & ~eligible).sum().alias(f"exclusion_errors_{side}"),
        ]
    return counts


def _comparison(line: float | None, frame: pl.DataFrame, totals: dict[str, Any]) -> TruthComparison | None:
    if line is None or "poor" not in totals:
        return None
    return TruthComparison(
        poverty_line=line,
        households=int(frame.get_column("log_consumption").is_not_null().sum()),
        poor=totals["poor"],
        before=_errors(totals, frame, "before"),
        after=_errors(totals, frame, "after"),
    )


def _errors(totals: dict[str, Any], frame: pl.DataFrame, side: str) -> TargetingErrors:
    eligible = frame.filter(pl.col("log_consumption").is_not_null() & pl.col(f"eligible_{side}")).height
    inclusion, exclusion = totals[f"inclusion_errors_{side}"], totals[f"exclusion_errors_{side}"]
    return TargetingErrors(
        eligible=eligible,
        inclusion_errors=inclusion,
        inclusion_error_rate=round(inclusion / eligible, 4) if eligible else None,
        exclusion_errors=exclusion,
        exclusion_error_rate=round(exclusion / totals["poor"], 4) if totals["poor"] else None,
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
    poverty_line: float | None = None,
) -> SimulationReport:
    """The rule in force on ``as_of`` against the same rule with the changes given; on generated
    data, both against the true consumption with ``poverty_line`` (default: the threshold of the
    rule in force)."""
    actor.require(Permission.SIMULATE)
    if threshold is not None:
        _check_index_value("threshold", threshold)
    base = rule_in_force(shipped_rules(), programme, as_of)
    line = _poverty_line(base, poverty_line)
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
    frame = _with_truth(session, frame)
    aggregates = _aggregate(frame) + _error_counts(line, frame)
    rows = frame.group_by("region", "milieu").agg(aggregates).sort("region", "milieu").to_dicts()
    totals = frame.select(aggregates).to_dicts()[0]
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
        truth=_comparison(line, frame, totals),
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
