"""The data rules in batch over the stored registry: violations by rule, annex and agent.

Two kinds of rules run here. The register's intake rules (``population.validation_rules``):
records written before a rule existed or changed, or loaded around the checks, break them; the
stored persons go through the same polars checks as an import file. And the data-quality rules
(``quality.data_rules``), which intake only warns about. Persons are attributed to the user who
registered them, households to the agent of their latest declaration.

Everything is read set-based for the reader's territory; a name key's frequency is counted over
the whole register (a count, no one's data), so that "no one else carries this name" means the
same to every reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope, within
from sijill.errors import Text, invalid
from sijill.population.models import Person
from sijill.population.validation_batch import check_people
from sijill.population.validation_rules import FIELDS
from sijill.population.validation_rules import RULES as PERSON_INTAKE_RULES
from sijill.quality.data_rules import HOUSEHOLD_RULES, PERSON_RULES, RULES, age_expr, broken_rules
from sijill.quality.frames import select_frame
from sijill.quality.funnel import check_territory
from sijill.social_registry.models import NUMBER_PREFIX, Declaration, Household, HouseholdMember
from sijill.territory.models import TerritoryUnit

_RECORDS = {"entity": pl.String(), "id": pl.Int64(), "annex_code": pl.String(), "agent": pl.String()}


@dataclass(frozen=True)
class Violations:
    # entity, id, annex_code, agent: every record checked.
    records: pl.DataFrame
    # entity, id, rule, severity: one row per broken rule.
    broken: pl.DataFrame
    # persons only: id, created_on (the day the person was registered).
    registered: pl.DataFrame
    # households only: id, members (current).
    household_members: pl.DataFrame

    @property
    def empty(self) -> bool:
        return self.records.is_empty()

    def counts(self) -> pl.DataFrame:
        """rule, annex_code, agent, violations."""
        return (
            self.broken.join(self.records, on=["entity", "id"])
            .group_by("rule", "annex_code", "agent")
            .agg(pl.len().alias("violations"))
            .sort("rule", "annex_code", "agent")
        )

    def checked(self) -> pl.DataFrame:
        """entity, annex_code, agent, records."""
        return (
            self.records.group_by("entity", "annex_code", "agent")
            .agg(pl.len().alias("records"))
            .sort("entity", "annex_code", "agent")
        )


def _persons(session: Session, actor: Actor, code: str | None) -> pl.DataFrame:
    columns = [getattr(Person, name) for name in FIELDS]
    statement = select(Person.id, Person.created_by, func.date(Person.created_at), Person.given_key, *columns).where(
        Person.status == "active", in_scope(actor, Person.annex_code), within(code, Person.annex_code)
    )
    schema: dict[str, pl.DataType] = {
        "id": pl.Int64(),
        "agent": pl.String(),
        "created_on": pl.Date(),
        "given_key": pl.String(),
    }
    for name in FIELDS:
        schema[name] = {"birth_year": pl.Int64(), "birth_date": pl.Date()}.get(name, pl.String())
    return select_frame(session, statement, schema)


def _given_key_counts(session: Session) -> pl.DataFrame:
    statement = (
        select(Person.given_key, func.count())
        .where(Person.given_key.is_not(None), Person.status != "merged")
        .group_by(Person.given_key)
    )
    return select_frame(session, statement, {"given_key": pl.String(), "given_key_count": pl.Int64()})


def _households(session: Session, actor: Actor, code: str | None) -> pl.DataFrame:
    latest = (
        select(Declaration.household_id, func.max(Declaration.id).label("declaration_id"))
        .group_by(Declaration.household_id)
        .subquery()
    )
    counts = (
        select(
            HouseholdMember.household_id,
            func.count().label("members"),
            func.sum(case((Person.status == "deceased", 1), else_=0)).label("deceased"),
            func.sum(case((Person.annex_code != Household.annex_code, 1), else_=0)).label("elsewhere"),
        )
        .join(Person, Person.id == HouseholdMember.person_id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(HouseholdMember.valid_to.is_(None))
        .group_by(HouseholdMember.household_id)
        .subquery()
    )
    statement = (
        select(
            Household.id,
            Household.annex_code,
            Declaration.declared_by,
            Declaration.declared_on,
            counts.c.members,
            counts.c.deceased,
            counts.c.elsewhere,
        )
        .join(latest, latest.c.household_id == Household.id)
        .join(Declaration, Declaration.id == latest.c.declaration_id)
        .join(counts, counts.c.household_id == Household.id)
        .where(Household.status == "active", in_scope(actor, Household.annex_code), within(code, Household.annex_code))
    )
    schema = {
        "id": pl.Int64(),
        "annex_code": pl.String(),
        "agent": pl.String(),
        "last_declared_on": pl.Date(),
        "members": pl.Int64(),
        "deceased_members": pl.Int64(),
        "members_elsewhere": pl.Int64(),
    }
    return select_frame(session, statement, schema)


def _known_annexes(session: Session) -> list[str]:
    return list(session.scalars(select(TerritoryUnit.code).where(TerritoryUnit.level == "annex")))


def evaluate(
    session: Session,
    actor: Actor,
    code: str | None = None,
    today: date | None = None,
    permission: Permission = Permission.REPORT_READ,
) -> Violations:
    """Every data rule over the persons and households of the reader's territory (inside ``code``).

    Reports of counts need ``report:read``; the list of records behind a rule asks ``person:read``
    instead (an agent correcting the files of their annex)."""
    actor.require(permission)
    check_territory(actor, code)
    day = today or date.today()
    persons = _persons(session, actor, code).join(_given_key_counts(session), on="given_key", how="left")
    # The intake rules, as an import applies them; a stored record breaking one was written
    # before the rule or around it.
    _, intake = check_people(persons.rename({"id": "row"}), today=day, known_annexes=_known_annexes(session))
    intake_broken = intake.select(
        pl.lit("person").alias("entity"), pl.col("row").alias("id"), "rule", pl.lit("error").alias("severity")
    ).unique(["id", "rule"])
    quality = broken_rules(persons.with_columns(age_expr(day).alias("age")), PERSON_RULES, day, "id")
    households = _households(session, actor, code)
    household_broken = broken_rules(households, HOUSEHOLD_RULES, day, "id")
    records = pl.concat(
        [
            persons.select(pl.lit("person").alias("entity"), "id", "annex_code", "agent"),
            households.select(pl.lit("household").alias("entity"), "id", "annex_code", "agent"),
        ]
    ).cast(pl.Schema(_RECORDS))
    broken = pl.concat(
        [
            intake_broken,
            quality.with_columns(pl.lit("person").alias("entity")),
            household_broken.with_columns(pl.lit("household").alias("entity")),
        ],
        how="diagonal",
    ).select("entity", "id", "rule", "severity")
    audit.record(
        session,
        actor,
        "quality.violations",
        "report",
        code,
        actor.scope_code,
        {"records": records.height, "violations": broken.height},
    )
    return Violations(records, broken, persons.select("id", "created_on"), households.select("id", "members"))


def by_rule(violations: Violations) -> pl.DataFrame:
    """rule, entity, severity, violations, checked (records of that entity), share; largest first."""
    checked = violations.records.group_by("entity").agg(pl.len().alias("checked"))
    return (
        violations.broken.group_by("rule", "entity", "severity")
        .agg(pl.len().alias("violations"))
        .join(checked, on="entity")
        .with_columns((pl.col("violations") / pl.col("checked")).round(4).alias("share"))
        .sort(["violations", "rule"], descending=[True, False])
    )


def by_group(violations: Violations, group: str) -> pl.DataFrame:
    """``group`` (annex_code or agent), rule, violations, checked, share; largest share first."""
    checked = violations.records.group_by(group, "entity").agg(pl.len().alias("checked"))
    return (
        violations.broken.join(violations.records, on=["entity", "id"])
        .group_by(group, "entity", "rule")
        .agg(pl.len().alias("violations"))
        .join(checked, on=[group, "entity"])
        .with_columns((pl.col("violations") / pl.col("checked")).round(4).alias("share"))
        .sort(["share", group, "rule"], descending=[True, False, False])
    )


def violation_records(
    session: Session, actor: Actor, rule: str, annex_code: str, limit: int = 100, offset: int = 0
) -> pl.DataFrame:
    """The records of one annex that break ``rule`` now: entity, reference (IDCS or household
    number), agent; evaluated afresh for that annex only."""
    actor.require(Permission.PERSON_READ)
    known = set(RULES) | set(PERSON_INTAKE_RULES)
    if rule not in known:
        raise invalid(
            "rule",
            rule,
            Text("قاعدة غير موجودة في الفهرس", "règle absente du catalogue", "not a rule of the catalogue"),
            Text("انظروا /api/quality/rules", "voir /api/quality/rules", "see /api/quality/rules"),
        )
    found = evaluate(session, actor, code=annex_code, permission=Permission.PERSON_READ)
    hits = (
        found.broken.filter(pl.col("rule") == rule)
        .join(found.records, on=["entity", "id"])
        .sort("entity", "id")
        .slice(offset, limit)
    )
    people = hits.filter(pl.col("entity") == "person")["id"].to_list()
    idcs: dict[int, str] = {
        pid: number for pid, number in session.execute(select(Person.id, Person.idcs).where(Person.id.in_(people)))
    }
    return hits.select(
        "entity",
        pl.when(pl.col("entity") == "person")
        .then(pl.col("id").replace_strict(idcs, default=None, return_dtype=pl.String()))
        .otherwise(pl.lit(NUMBER_PREFIX) + pl.col("id").cast(pl.String).str.zfill(9))
        .alias("reference"),
        "annex_code",
        "agent",
    )
