"""The data rules over time: each stored run's violations in the reader's territory.

Runs store their counts per rule, annex and agent (``quality.run``); a trend point is one run
that covered the asked territory, with its violations and the records it checked there.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope, within
from sijill.errors import Text, invalid
from sijill.quality.data_rules import RULES
from sijill.quality.funnel import check_territory
from sijill.quality.models import QualityChecked, QualityViolationCount
from sijill.quality.run import covering_runs


def _entity_of_rule() -> pl.Expr:
    """The entity a rule checks: the data rules say; the intake rules re-checked in batch are the
    register's (person)."""
    return pl.col("rule").replace_strict({c: r.entity for c, r in RULES.items()}, default="person")


TREND_SCHEMA = {
    "run_id": pl.Int64(),
    "day": pl.Date(),
    "rule": pl.String(),
    "violations": pl.Int64(),
    "checked": pl.Int64(),
    "share": pl.Float64(),
}


def violation_trend(session: Session, actor: Actor, code: str | None = None, rule: str | None = None) -> pl.DataFrame:
    """run_id, day, rule, violations, checked, share: oldest run first (empty before any run)."""
    actor.require(Permission.REPORT_READ)
    check_territory(actor, code)
    runs = {run.id: run.finished_at.date() for run in covering_runs(session, code or actor.scope_code)}
    if not runs:
        return pl.DataFrame(schema=TREND_SCHEMA)
    where = (in_scope(actor, QualityViolationCount.annex_code), within(code, QualityViolationCount.annex_code))
    statement = (
        select(QualityViolationCount.run_id, QualityViolationCount.rule, func.sum(QualityViolationCount.violations))
        .where(QualityViolationCount.run_id.in_(runs), *where)
        .group_by(QualityViolationCount.run_id, QualityViolationCount.rule)
    )
    if rule is not None:
        statement = statement.where(QualityViolationCount.rule == rule)
    counted = pl.DataFrame(
        session.execute(statement).all(),
        schema={"run_id": pl.Int64(), "rule": pl.String(), "violations": pl.Int64()},
        orient="row",
    )
    checked = pl.DataFrame(
        session.execute(
            select(QualityChecked.run_id, QualityChecked.entity, func.sum(QualityChecked.records))
            .where(
                QualityChecked.run_id.in_(runs),
                in_scope(actor, QualityChecked.annex_code),
                within(code, QualityChecked.annex_code),
            )
            .group_by(QualityChecked.run_id, QualityChecked.entity)
        ).all(),
        schema={"run_id": pl.Int64(), "entity": pl.String(), "checked": pl.Int64()},
        orient="row",
    )
    entity = _entity_of_rule()
    trend = (
        counted.with_columns(entity.alias("entity"))
        .join(checked, on=["run_id", "entity"], how="left")
        .with_columns(
            pl.col("run_id").replace_strict(runs, return_dtype=pl.Date()).alias("day"),
            (pl.col("violations") / pl.col("checked")).round(4).alias("share"),
        )
        .select(*TREND_SCHEMA)
        .sort("run_id", "rule")
    )
    audit.record(session, actor, "quality.trend", "report", code, actor.scope_code, {"points": trend.height})
    return trend


# What a violations report can be grouped by, and the columns each adds before the rule.
GROUP_COLUMNS: dict[str, list[str]] = {"rule": [], "annex": ["annex_code"], "agent": ["agent"]}
GROUPS = tuple(GROUP_COLUMNS)


def latest_violations(session: Session, actor: Actor, by: str = "rule", code: str | None = None) -> pl.DataFrame:
    """The latest covering run's violations in the reader's territory, grouped ``by`` rule, annex
    or agent (with the rule): ``by`` columns, rule, entity, severity, violations, checked, share."""
    actor.require(Permission.REPORT_READ)
    if by not in GROUPS:
        raise invalid(
            "by",
            by,
            Text("واحد من: " + ", ".join(GROUPS), "l'une de : " + ", ".join(GROUPS), "one of " + ", ".join(GROUPS)),
            Text("مثال: by=annex", "par exemple by=annex", "for example by=annex"),
        )
    check_territory(actor, code)
    runs = covering_runs(session, code or actor.scope_code)
    if not runs:
        return pl.DataFrame()
    run_id = runs[0].id
    where = (in_scope(actor, QualityViolationCount.annex_code), within(code, QualityViolationCount.annex_code))
    counts = pl.DataFrame(
        session.execute(
            select(
                QualityViolationCount.rule,
                QualityViolationCount.annex_code,
                QualityViolationCount.agent,
                QualityViolationCount.violations,
            ).where(QualityViolationCount.run_id == run_id, *where)
        ).all(),
        schema={"rule": pl.String(), "annex_code": pl.String(), "agent": pl.String(), "violations": pl.Int64()},
        orient="row",
    )
    checked = pl.DataFrame(
        session.execute(
            select(
                QualityChecked.entity, QualityChecked.annex_code, QualityChecked.agent, QualityChecked.records
            ).where(
                QualityChecked.run_id == run_id,
                in_scope(actor, QualityChecked.annex_code),
                within(code, QualityChecked.annex_code),
            )
        ).all(),
        schema={"entity": pl.String(), "annex_code": pl.String(), "agent": pl.String(), "checked": pl.Int64()},
        orient="row",
    )
    keys = GROUP_COLUMNS[by]
    # The intake rules re-checked in batch are errors.
    severity = pl.col("rule").replace_strict({c: r.severity for c, r in RULES.items()}, default="error")
    entity = _entity_of_rule()
    grouped = (
        counts.with_columns(entity.alias("entity"), severity.alias("severity"))
        .group_by(*keys, "rule", "entity", "severity")
        .agg(pl.col("violations").sum())
        .join(checked.group_by(*keys, "entity").agg(pl.col("checked").sum()), on=[*keys, "entity"], how="left")
        .with_columns((pl.col("violations") / pl.col("checked")).round(4).alias("share"))
        .sort(["share", *keys, "rule"], descending=[True, *([False] * len(keys)), False])
    )
    audit.record(
        session, actor, "quality.violations_read", "report", code, actor.scope_code, {"by": by, "rows": grouped.height}
    )
    return grouped.with_columns(pl.lit(run_id).alias("run_id"))
