"""Deregistration before applying: leaving a scheme shortly before declaring a household.

An auto-entrepreneur (or a member of another scheme whose records end) is excluded from AMO
Tadamon while registered; deregistering a few months before the household's RSU declaration is
the pattern the seed names. Each case is a person linked (surely enough to exclude: the same
threshold as the programmes) to a record that ended, and a declaration of the person's household
within ``months`` after that end. Counted by annex and month of deregistration, and listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope, within
from sijill.linkage.links import EXCLUSION_MIN_PROBABILITY
from sijill.linkage.models import ExternalRecord, PersonLink
from sijill.population.models import Person
from sijill.quality.funnel import check_territory
from sijill.social_registry.models import Declaration, Household, HouseholdMember

DEFAULT_MONTHS = 6
DEFAULT_REGISTRIES = ("auto_entrepreneurs",)


@dataclass(frozen=True)
class DeregistrationReport:
    months: int
    # person_id, idcs, household_id, annex_code, registry, deregistered_on, declared_on, days_between
    cases: pl.DataFrame
    # annex_code, month (of deregistration), cases
    by_annex_month: pl.DataFrame


def deregistered_before_declaring(
    session: Session,
    actor: Actor,
    code: str | None = None,
    months: int = DEFAULT_MONTHS,
    registries: tuple[str, ...] = DEFAULT_REGISTRIES,
) -> DeregistrationReport:
    """Persons whose scheme record ended within ``months`` before a declaration of their household."""
    actor.require(Permission.PERSON_READ)
    check_territory(actor, code)
    rows = session.execute(
        select(
            Person.id,
            Person.idcs,
            Household.id,
            Household.annex_code,
            ExternalRecord.registry_kind,
            ExternalRecord.valid_to,
            Declaration.declared_on,
        )
        .join(PersonLink, PersonLink.person_id == Person.id)
        .join(ExternalRecord, ExternalRecord.id == PersonLink.external_record_id)
        .join(HouseholdMember, and_(HouseholdMember.person_id == Person.id, HouseholdMember.valid_to.is_(None)))
        .join(Household, Household.id == HouseholdMember.household_id)
        .join(Declaration, Declaration.household_id == Household.id)
        .where(
            ExternalRecord.registry_kind.in_(registries),
            ExternalRecord.valid_to.is_not(None),
            Declaration.declared_on > ExternalRecord.valid_to,
            PersonLink.match_probability >= EXCLUSION_MIN_PROBABILITY,
            in_scope(actor, Household.annex_code),
            within(code, Household.annex_code),
        )
    ).all()
    frame = pl.DataFrame(
        rows,
        schema={
            "person_id": pl.Int64,
            "idcs": pl.String,
            "household_id": pl.Int64,
            "annex_code": pl.String,
            "registry": pl.String,
            "deregistered_on": pl.Date,
            "declared_on": pl.Date,
        },
        orient="row",
    )
    # Within `months` calendar months of the end (a date arithmetic the two databases spell
    # differently, so it is done here on the few candidate rows).
    limit = pl.col("deregistered_on").dt.offset_by(f"{months}mo")
    cases = (
        frame.filter(pl.col("declared_on") <= limit)
        .with_columns((pl.col("declared_on") - pl.col("deregistered_on")).dt.total_days().alias("days_between"))
        .sort("days_between")
        .unique(["person_id", "registry", "deregistered_on"], keep="first")
        .sort("annex_code", "deregistered_on", "idcs")
    )
    by_annex_month = (
        cases.group_by("annex_code", pl.col("deregistered_on").dt.strftime("%Y-%m").alias("month"))
        .len("cases")
        .sort("annex_code", "month")
    )
    audit.record(session, actor, "quality.deregistration", "report", code, actor.scope_code, {"cases": cases.height})
    return DeregistrationReport(months, cases, by_annex_month)
