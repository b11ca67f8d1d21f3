"""The funnel from the population register to AMO Tadamon, per annex and rolled up.

Why do the counts differ between the registers of one annex? Each stage counts persons:

1. ``rnp``: active register records of the annex;
2. ``rsu``: living persons in a current household of the annex (the social registry);
3. ``scored``: of those, persons whose household's latest declaration has an index;
4. ``eligible``: persons of households the latest AMO Tadamon run found eligible;
5. ``enrolled`` / ``rejected``: persons of households whose AMO Tadamon application the operator
   accepted / refused.

Two queries on the database, filtered to the reader's territory in the query itself: the register
per annex, and one pass over the households (their living members counted once, then each stage a
flag of the household, summed per annex). Roll-ups add annexes up by the prefix of their code
(commune, province, region, nation), so every level comes from the same annex table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import code_in_scope, in_scope, within
from sijill.enrollment.models import Application
from sijill.errors import NotFoundError, SijillError, Text
from sijill.linkage.links import EXCLUSION_MIN_PROBABILITY
from sijill.linkage.models import ExternalRecord, PersonLink
from sijill.population.models import Person
from sijill.programmes.models import EligibilityDecision, EligibilityRun
from sijill.quality.frames import select_frame
from sijill.social_registry.models import Declaration, Household, HouseholdMember, IndexScore

PROGRAMME = "amo-tadamon"
STAGES = ("rnp", "rsu", "scored", "eligible", "enrolled", "rejected")
# How many dot-separated parts of a code each level keeps.
LEVELS = {"annex": 4, "commune": 3, "province": 2, "region": 1, "nation": 0}


@dataclass(frozen=True)
class Funnel:
    level: str
    within: str | None
    eligibility_run: int | None
    # code, then one column per stage, then the ratios and the gap between the RNP and the RSU.
    rows: pl.DataFrame
    generated_at: datetime

    @property
    def empty(self) -> bool:
        return self.rows.is_empty()


def _latest_run(session: Session) -> int | None:
    return session.scalar(
        select(EligibilityRun.id)
        .where(EligibilityRun.programme == PROGRAMME)
        .order_by(EligibilityRun.id.desc())
        .limit(1)
    )


def _stage_sums(actor: Actor, code: str | None, run: int | None) -> Select[*tuple[Any, ...]]:
    """One pass over the current members: each joined to its household and to the household's
    stage flags (each subquery holds a household at most once), counted per annex. Counting
    per household first costs more than the joins (1.3M groups at 5M persons: 10 s against 4)."""
    # The living: a deceased member still listed is a declaration to update, not a beneficiary.
    # Set aside the few who are not active rather than join every member to the register.
    gone = select(Person.id).where(Person.status != "active").subquery()
    # Households whose latest declaration has no index are few (scoring failed, no model in
    # force): found from the unscored declarations, not by aggregating every household's.
    unscored = (
        select(Declaration.id, Declaration.household_id)
        .outerjoin(IndexScore, IndexScore.declaration_id == Declaration.id)
        .where(IndexScore.id.is_(None))
        .subquery()
    )
    later = aliased(Declaration)
    unscored_latest = (
        select(unscored.c.household_id)
        .where(~exists().where(later.household_id == unscored.c.household_id, later.id > unscored.c.id))
        .distinct()
        .subquery()
    )
    decided = (
        select(
            Application.household_id,
            func.max(case((Application.status == "accepted", 1), else_=0)).label("accepted"),
            func.max(case((Application.status == "refused", 1), else_=0)).label("refused"),
        )
        .where(Application.workflow == PROGRAMME, Application.household_id.is_not(None))
        .group_by(Application.household_id)
        .subquery()
    )
    eligible = (
        select(EligibilityDecision.household_id)
        # Before any eligibility run no one is eligible.
        .where(
            EligibilityDecision.run_id == run if run is not None else false(), EligibilityDecision.status == "eligible"
        )
        .subquery()
    )

    def members_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return (
        select(
            Household.annex_code,
            func.count().label("rsu"),
            members_if(unscored_latest.c.household_id.is_(None)).label("scored"),
            members_if(eligible.c.household_id.is_not(None)).label("eligible"),
            members_if(decided.c.accepted == 1).label("enrolled"),
            members_if(decided.c.refused == 1).label("rejected"),
        )
        .select_from(HouseholdMember)
        .join(Household, Household.id == HouseholdMember.household_id)
        .outerjoin(gone, gone.c.id == HouseholdMember.person_id)
        .outerjoin(unscored_latest, unscored_latest.c.household_id == Household.id)
        .outerjoin(eligible, eligible.c.household_id == Household.id)
        .outerjoin(decided, decided.c.household_id == Household.id)
        .where(
            HouseholdMember.valid_to.is_(None),
            gone.c.id.is_(None),
            Household.status == "active",
            in_scope(actor, Household.annex_code),
            within(code, Household.annex_code),
        )
        .group_by(Household.annex_code)
    )


def annex_counts(session: Session, actor: Actor, code: str | None) -> tuple[pl.DataFrame, int | None]:
    """One row per annex with the persons at each stage (annexes with no one are left out)."""
    rnp = (
        select(Person.annex_code, func.count())
        .where(Person.status == "active", in_scope(actor, Person.annex_code), within(code, Person.annex_code))
        .group_by(Person.annex_code)
    )
    run = _latest_run(session)
    register = select_frame(session, rnp, {"annex_code": pl.String(), "rnp": pl.Int64()})
    stages = select_frame(
        session,
        _stage_sums(actor, code, run),
        {"annex_code": pl.String(), **{stage: pl.Int64() for stage in STAGES if stage != "rnp"}},
        parallel=True,
    )
    table = register.join(stages, on="annex_code", how="full", coalesce=True)
    return table.with_columns(pl.col(s).fill_null(0) for s in STAGES).select("annex_code", *STAGES).sort(
        "annex_code"
    ), run


def _rolled_up(annexes: pl.DataFrame, level: str) -> pl.DataFrame:
    parts = LEVELS[level]
    # The nation is one row, coded MA.
    code = pl.lit("MA") if parts == 0 else pl.col("annex_code").str.split(".").list.head(parts).list.join(".")
    grouped = annexes.group_by(code.alias("code")).agg(pl.col(s).sum() for s in STAGES)

    def ratio(part: str, whole: str) -> pl.Expr:
        return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole)).round(4)

    return grouped.with_columns(
        ratio("rsu", "rnp").alias("rsu_of_rnp"),
        ratio("eligible", "rsu").alias("eligible_of_rsu"),
        ratio("enrolled", "eligible").alias("enrolled_of_eligible"),
        (pl.col("rnp") - pl.col("rsu")).alias("gap_rnp_rsu"),
        (pl.col("eligible") - pl.col("enrolled")).alias("gap_eligible_enrolled"),
    ).sort("gap_rnp_rsu", "code", descending=[True, False])


def _outside(code: str) -> SijillError:
    # The same answer as a territory that does not exist: the reader's scope must not leak.
    return NotFoundError("territory", code)


def check_territory(actor: Actor, code: str | None) -> None:
    """A report asked for a territory outside the reader's scope is refused as not found."""
    if code is not None and not code_in_scope(actor, code):
        raise _outside(code)


def _checked_level(level: str) -> None:
    if level not in LEVELS:
        raise SijillError(
            code="invalid_value",
            field="level",
            value=level,
            status=422,
            message=Text(f"مستوى غير معروف: {level}", f"Niveau inconnu : {level}", f"unknown level {level}"),
            fix=Text(
                f"المستويات: {', '.join(LEVELS)}", f"Niveaux : {', '.join(LEVELS)}", f"levels: {', '.join(LEVELS)}"
            ),
        )


def funnels(
    *, session: Session, actor: Actor, levels: tuple[str, ...] = tuple(LEVELS), code: str | None = None
) -> dict[str, Funnel]:
    """The funnel at each of ``levels`` inside ``code``, all from one count of the annexes; each
    ranked by the gap between the RNP and the RSU, largest first."""
    actor.require(Permission.REPORT_READ)
    for level in levels:
        _checked_level(level)
    check_territory(actor, code)
    annexes, run = annex_counts(session, actor, code)
    now = datetime.now(UTC)
    reports = {}
    for level in levels:
        rows = _rolled_up(annexes, level) if not annexes.is_empty() else pl.DataFrame(schema={"code": pl.String})
        reports[level] = Funnel(level, code, run, rows, now)
    details = {"levels": list(levels), "annexes": annexes.height}
    audit.record(session, actor, "quality.funnel", "funnel", code, actor.scope_code, details)
    return reports


def funnel(*, session: Session, actor: Actor, level: str = "annex", code: str | None = None) -> Funnel:
    """The funnel at ``level`` (annex, commune, province, region, nation) inside ``code``, ranked
    by the gap between the RNP and the RSU, largest first."""
    return funnels(session=session, actor=actor, levels=(level,), code=code)[level]


GAPS = {
    "rnp_not_rsu": Text("في السجل الوطني دون أسرة", "Au RNP sans ménage", "in the RNP, in no household"),
    "eligible_not_enrolled": Text("مؤهل دون تسجيل", "Éligible, non inscrit", "eligible, not enrolled"),
    "enrolled_not_eligible": Text("مسجل لم يعد مؤهلا", "Inscrit, plus éligible", "enrolled, no longer eligible"),
    "enrolled_other_cover": Text(
        "مسجل وله تغطية صحية أخرى", "Inscrit et couvert par un autre régime", "enrolled, with another health cover"
    ),
}


@dataclass(frozen=True)
class GapPerson:
    idcs: str
    given_name_ar: str | None
    family_name_ar: str | None
    given_name_lat: str | None
    family_name_lat: str | None
    annex_code: str
    household_id: int | None


def _unknown_gap(gap: str) -> SijillError:
    return SijillError(
        code="invalid_value",
        field="gap",
        value=gap,
        status=422,
        message=Text(f"فجوة غير معروفة: {gap}", f"Écart inconnu : {gap}", f"unknown gap {gap}"),
        fix=Text(f"الفجوات: {', '.join(GAPS)}", f"Écarts : {', '.join(GAPS)}", f"gaps: {', '.join(GAPS)}"),
    )


def _covered_elsewhere() -> Select[int]:
    """Persons linked, surely enough to exclude, to a record of another health cover in force today."""
    today = date.today()
    return (
        select(PersonLink.person_id)
        .join(ExternalRecord, ExternalRecord.id == PersonLink.external_record_id)
        .where(
            ExternalRecord.registry_kind == "other_health_cover",
            PersonLink.match_probability >= EXCLUSION_MIN_PROBABILITY,
            or_(ExternalRecord.valid_from.is_(None), ExternalRecord.valid_from <= today),
            or_(ExternalRecord.valid_to.is_(None), ExternalRecord.valid_to >= today),
        )
    )


def gap_people(
    *, session: Session, actor: Actor, gap: str, annex_code: str, limit: int = 100, offset: int = 0
) -> list[GapPerson]:
    """The persons behind one gap of one annex's funnel (within the reader's territory)."""
    actor.require(Permission.PERSON_READ)
    if gap not in GAPS:
        raise _unknown_gap(gap)
    if not code_in_scope(actor, annex_code):
        raise _outside(annex_code)
    current = and_(HouseholdMember.person_id == Person.id, HouseholdMember.valid_to.is_(None))
    base = select(
        Person.idcs,
        Person.given_name_ar,
        Person.family_name_ar,
        Person.given_name_lat,
        Person.family_name_lat,
        Person.annex_code,
        HouseholdMember.household_id,
    ).where(Person.status == "active")
    run = _latest_run(session)
    accepted = select(Application.household_id).where(
        Application.workflow == PROGRAMME, Application.status == "accepted"
    )
    eligible = select(EligibilityDecision.household_id).where(
        EligibilityDecision.run_id == run, EligibilityDecision.status == "eligible"
    )
    if gap == "rnp_not_rsu":
        statement = base.outerjoin(HouseholdMember, current).where(
            HouseholdMember.id.is_(None), Person.annex_code == annex_code, in_scope(actor, Person.annex_code)
        )
    else:
        statement = (
            base.join(HouseholdMember, current)
            .join(Household, Household.id == HouseholdMember.household_id)
            .where(Household.annex_code == annex_code, in_scope(actor, Household.annex_code))
        )
        if gap == "eligible_not_enrolled":
            statement = statement.where(Household.id.in_(eligible), Household.id.not_in(accepted))
        elif gap == "enrolled_not_eligible":
            statement = statement.where(Household.id.in_(accepted), Household.id.not_in(eligible))
        else:
            statement = statement.where(Household.id.in_(accepted), Person.id.in_(_covered_elsewhere()))
    rows = session.execute(statement.order_by(Person.idcs).limit(limit).offset(offset)).all()
    audit.record(session, actor, "quality.gap_read", "funnel", annex_code, annex_code, {"gap": gap, "rows": len(rows)})
    return [GapPerson(*row) for row in rows]
