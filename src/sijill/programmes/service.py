"""`sijill eligibility run`: every programme in force (or one) decided for the whole registry as
of a day, set-based, with the decisions and a summary by region and milieu stored.

The inputs are read once, stored once as the run's snapshot, and shared by the programmes; each
programme's decisions are written with COPY with their breakdown, in the caller's transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert, table_of
from sijill.programmes.decide import ELIGIBLE, NOT_DECIDABLE, NOT_ELIGIBLE, Decisions, decide, member_links_of
from sijill.programmes.inputs import Inputs, read_inputs
from sijill.programmes.models import EligibilityDecision, EligibilityRun, EligibilitySnapshot, SnapshotHousehold
from sijill.programmes.rule_types import ProgrammeRule
from sijill.programmes.rules import rules_in_force, shipped_rules
from sijill.scoring.model import find_model, model_in_force, shipped_models

_MEMBER_FACTS = (
    "person_id",
    "relationship",
    "sex",
    "age",
    "age_months",
    "education",
    "in_school",
    "occupation",
    "disability",
    "marital_status",
)


@dataclass(frozen=True)
class RunReport:
    run_id: int
    programme: str
    rule: str
    model: str
    as_of: date
    households: int
    eligible: int
    not_eligible: int
    not_decidable: int
    amount: float
    amount_once: float
    compute_seconds: float
    summary: list[dict[str, Any]]


def model_ref(as_of: date, model: str | None) -> str:
    models = shipped_models()
    return (find_model(models, model) if model else model_in_force(models, as_of)).ref


def _summary(decisions: pl.DataFrame, members: pl.DataFrame) -> list[dict[str, Any]]:
    sizes = members.group_by("household_id").len("persons")
    status = pl.col("status")
    rows = (
        decisions.join(sizes, on="household_id", how="left")
        .group_by("region", "milieu")
        .agg(
            pl.len().alias("households"),
            (status == ELIGIBLE).sum().alias("eligible"),
            (status == NOT_ELIGIBLE).sum().alias("not_eligible"),
            (status == NOT_DECIDABLE).sum().alias("not_decidable"),
            pl.col("persons").filter(status == ELIGIBLE).sum().alias("persons_eligible"),
            pl.col("amount").sum().round(2).alias("amount"),
        )
        .sort("region", "milieu")
    )
    return rows.to_dicts()


def _breakdown(result: Decisions) -> pl.DataFrame:
    lines = result.lines.group_by("household_id").agg(
        pl.struct("line", "person_id", "rank", "amount", "period").alias("lines")
    )
    exclusions = result.evidence.group_by("household_id").agg(
        pl.struct("reason", "person_id", "registry", "external_record_id").alias("exclusions")
    )
    return (
        result.decisions.select("household_id")
        .join(lines, on="household_id", how="left")
        .join(exclusions, on="household_id", how="left")
        .select(
            "household_id",
            pl.struct(pl.col("lines").fill_null([]), pl.col("exclusions").fill_null([]))
            .struct.json_encode()
            .alias("breakdown"),
        )
    )


def _store_snapshot(session: Session, inputs: Inputs) -> int:
    """The inputs, once for all the programmes decided on them."""
    snapshot = EligibilitySnapshot(as_of=inputs.as_of, model=inputs.model, taken_at=datetime.now(UTC))
    session.add(snapshot)
    session.flush()
    facts = inputs.members.group_by("household_id").agg(pl.struct(*_MEMBER_FACTS).alias("members"))
    rows = (
        inputs.households.select("household_id")
        .join(facts, on="household_id", how="left")
        .select(
            pl.lit(snapshot.id).alias("snapshot_id"),
            "household_id",
            pl.struct(pl.col("members").fill_null([])).struct.json_encode().alias("inputs"),
        )
    )
    bulk_insert(session, table_of(SnapshotHousehold), rows.to_arrow())
    return snapshot.id


def _decision_rows(run_id: int, result: Decisions) -> pl.DataFrame:
    return result.decisions.join(_breakdown(result), on="household_id", how="left").select(
        pl.lit(run_id).alias("run_id"),
        "household_id",
        "declaration_id",
        "status",
        "reasons",
        "index",
        "amount",
        "amount_once",
        "breakdown",
    )


def _store(
    session: Session,
    actor: Actor,
    rule: ProgrammeRule,
    inputs: Inputs,
    result: Decisions,
    started: datetime,
    snapshot_id: int,
    seconds: float,
) -> RunReport:
    decisions = result.decisions
    counts = decisions.get_column("status").value_counts()
    count = dict(zip(counts["status"].to_list(), counts["count"].to_list(), strict=True))
    summary = _summary(decisions, inputs.members)
    run = EligibilityRun(
        snapshot_id=snapshot_id,
        programme=rule.id,
        rule=rule.ref,
        model=inputs.model,
        as_of=inputs.as_of,
        started_at=started,
        finished_at=datetime.now(UTC),
        run_by=actor.username,
        households=decisions.height,
        eligible=count.get(ELIGIBLE, 0),
        not_eligible=count.get(NOT_ELIGIBLE, 0),
        not_decidable=count.get(NOT_DECIDABLE, 0),
        amount=float(decisions.get_column("amount").sum() or 0.0),
        amount_once=float(decisions.get_column("amount_once").sum() or 0.0),
        summary=summary,
    )
    session.add(run)
    session.flush()
    bulk_insert(session, table_of(EligibilityDecision), _decision_rows(run.id, result).to_arrow())
    return RunReport(
        run_id=run.id,
        programme=rule.id,
        rule=rule.ref,
        model=inputs.model,
        as_of=inputs.as_of,
        households=run.households,
        eligible=run.eligible,
        not_eligible=run.not_eligible,
        not_decidable=run.not_decidable,
        amount=run.amount,
        amount_once=run.amount_once,
        compute_seconds=round(seconds, 3),
        summary=summary,
    )


def run_eligibility(
    *,
    session: Session,
    actor: Actor,
    as_of: date,
    programme: str | None = None,
    model: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[RunReport]:
    """Decide every household for each programme in force on ``as_of`` (or ``programme`` only)."""
    actor.require(Permission.ELIGIBILITY_RUN)
    rules = rules_in_force(shipped_rules(), as_of, programme)
    ref = model_ref(as_of, model)
    started = datetime.now(UTC)
    inputs = read_inputs(session.connection(), as_of=as_of, model=ref)
    snapshot_id = _store_snapshot(session, inputs)
    member_links = member_links_of(inputs.members, inputs.links)
    reports = []
    for rule in rules:
        if progress is not None:
            progress(rule.ref)
        clock = time.perf_counter()
        result = decide(rule, inputs.households, inputs.members, inputs.links, member_links)
        seconds = time.perf_counter() - clock
        reports.append(_store(session, actor, rule, inputs, result, started, snapshot_id, seconds))
    audit.record(
        session,
        actor,
        "eligibility.run",
        "eligibility_run",
        ",".join(str(r.run_id) for r in reports),
        None,
        {"as_of": as_of.isoformat(), "model": ref, "programmes": {r.rule: r.households for r in reports}},
    )
    return reports
