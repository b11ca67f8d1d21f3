"""One-person households: which annexes have more of them than the census leads to expect.

A flat benefit per household (ASD's 500 DH floor) rewards splitting a family on paper, and the
first sign is a share of one-person households above the census's. The expected share of an
annex is the census share of its households' milieux (urban 12.5%, rural 8%: HCP 2024, 11.1%
overall). Whether an annex stands out depends on its size: 20% of 30 households is chance, 20% of
3,000 is not. So each annex is placed on a funnel plot: its z-score against the binomial of its
own size, flagged above 3 (the 99.9% one-sided control limit). The monthly trend counts, per
annex, the households declared that month that are one-person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope, within
from sijill.quality.frames import select_frame
from sijill.quality.funnel import check_territory
from sijill.social_registry.models import Declaration, Household, HouseholdMember

# HCP, 2024 census: one-person households by milieu (11.1% overall).
CENSUS_ONE_PERSON_SHARE = {"urban": 0.125, "rural": 0.08}
Z_LIMIT = 3.0
# An annex this small says nothing either way.
MIN_HOUSEHOLDS = 30


@dataclass(frozen=True)
class OnePersonReport:
    # annex_code, households, one_person, share, expected_share, z, flagged (ranked by z)
    annexes: pl.DataFrame
    # annex_code, month (YYYY-MM), households, one_person, share
    monthly: pl.DataFrame


def households_statement(actor: Actor, code: str | None, *columns: Any) -> Select[*tuple[Any, ...]]:
    """Active households in scope: id, annex, milieu, ``columns``, current size, first declared."""
    size = (
        select(HouseholdMember.household_id, func.count().label("size"))
        .where(HouseholdMember.valid_to.is_(None))
        .group_by(HouseholdMember.household_id)
        .subquery()
    )
    first = (
        select(Declaration.household_id, func.min(Declaration.declared_on).label("declared_on"))
        .group_by(Declaration.household_id)
        .subquery()
    )
    return (
        select(Household.id, Household.annex_code, Household.milieu, *columns, size.c.size, first.c.declared_on)
        .join(size, size.c.household_id == Household.id)
        .join(first, first.c.household_id == Household.id)
        .where(Household.status == "active", in_scope(actor, Household.annex_code), within(code, Household.annex_code))
    )


def _households(session: Session, actor: Actor, code: str | None) -> pl.DataFrame:
    schema = {
        "household_id": pl.Int64(),
        "annex_code": pl.String(),
        "milieu": pl.String(),
        "size": pl.Int64(),
        "declared_on": pl.Date(),
    }
    return select_frame(session, households_statement(actor, code), schema)


def one_person_households(session: Session, actor: Actor, code: str | None = None) -> OnePersonReport:
    """Annexes ranked by how far their one-person share is above what the census leads to expect."""
    actor.require(Permission.REPORT_READ)
    check_territory(actor, code)
    households = _households(session, actor, code).with_columns(
        (pl.col("size") == 1).alias("alone"),
        pl.col("milieu")
        .replace_strict(CENSUS_ONE_PERSON_SHARE, default=sum(CENSUS_ONE_PERSON_SHARE.values()) / 2)
        .alias("p0"),
    )
    annexes = (
        households.group_by("annex_code")
        .agg(
            pl.len().alias("households"),
            pl.col("alone").sum().alias("one_person"),
            pl.col("p0").sum().alias("expected"),
            (pl.col("p0") * (1 - pl.col("p0"))).sum().alias("variance"),
        )
        .with_columns(
            (pl.col("one_person") / pl.col("households")).round(4).alias("share"),
            (pl.col("expected") / pl.col("households")).round(4).alias("expected_share"),
            ((pl.col("one_person") - pl.col("expected")) / pl.col("variance").sqrt()).round(2).alias("z"),
        )
        .with_columns(((pl.col("z") > Z_LIMIT) & (pl.col("households") >= MIN_HOUSEHOLDS)).alias("flagged"))
        .drop("expected", "variance")
        .sort("z", "annex_code", descending=[True, False])
    )
    monthly = (
        households.with_columns(pl.col("declared_on").dt.strftime("%Y-%m").alias("month"))
        .group_by("annex_code", "month")
        .agg(pl.len().alias("households"), pl.col("alone").sum().alias("one_person"))
        .with_columns((pl.col("one_person") / pl.col("households")).round(4).alias("share"))
        .sort("annex_code", "month")
    )
    audit.record(session, actor, "quality.one_person", "report", code, actor.scope_code, {"annexes": annexes.height})
    return OnePersonReport(annexes, monthly)


def funnel_limits(households: int, share: float, z: float = Z_LIMIT) -> tuple[float, float]:
    """The band of shares an annex of this size shows by chance, for a funnel plot."""
    spread = z * math.sqrt(share * (1 - share) / households) if households else 1.0
    return max(0.0, share - spread), min(1.0, share + spread)
