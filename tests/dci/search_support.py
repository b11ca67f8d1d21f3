"""A small registry for DCI search tests, declared through the social-registry services, and an
oracle: the same filters evaluated in Python over what the registry is known to hold.

Households (ages on TODAY):
- H1, annex A: a man of 56 (CIN, both scripts), a woman of exactly 51 (Arabic names only) and a
  girl of 9; index corrected to 5.0; its AMO Tadamon file accepted by the CNSS.
- H2, annex A: a widow known by her birth year only (1940: 86), disabled; index corrected to
  exactly the AMO Tadamon threshold; an accepted ASD file.
- H3, annex B: a man of 46 and a boy of 16; index corrected to 12.0 then to 8.0 (the latest
  applies); its AMO Tadamon file refused.
- H4, the other province: a woman of 41; index corrected to 3.0.
- H5, annex B: a man of 35 whose wife left at the second declaration; the first declaration's
  correction (2.0) no longer applies: the index is the second declaration's, calculated.
- H6, annex A: dissolved, with an index of 1.0: never found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.db import transaction
from sijill.dci.criteria import Combined, Comparison, Criteria, Filter, Partner
from sijill.dci.mapping import RECORD_FIELDS
from sijill.dci.search import search
from sijill.enrollment.models import Application
from sijill.population.models import IssuedIdcs, Person
from sijill.social_registry import service
from sijill.social_registry.models import Household
from sijill.social_registry.schemas import CorrectionIn, DeclarationUpdateIn, HouseholdIn
from sijill.social_registry.scores import current_score, effective_score
from tests.factories import ANNEX_A, ANNEX_B, ANNEX_OTHER_PROVINCE, seed_territory
from tests.social_registry.support import form, member

TODAY = date(2026, 6, 1)
PROVINCE = "03.02"
OTHER_PROVINCE = "04.04"
THRESHOLD = 9.3264284
SYSTEM = Actor.system(source="test")
NATIONAL = Partner("national", None, RECORD_FIELDS)
PROVINCIAL = Partner("provincial", (PROVINCE,), RECORD_FIELDS)


@dataclass(frozen=True)
class Resident:
    idcs: str
    sex: str
    birth_year: int
    birth_date: date | None
    relationship: str
    given_lat: str | None = "Test"
    family_lat: str | None = "Person"
    given_ar: str | None = None
    family_ar: str | None = None
    cin: str | None = None
    phone: str | None = None
    marital_status: str | None = None
    disability: bool = False
    occupation: str | None = "employed_informal"

    def age(self, day: date) -> int:
        born = self.birth_date or date(self.birth_year, 1, 1)
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class HouseholdPlan:
    key: str
    annex: str
    residents: tuple[Resident, ...]
    corrections: tuple[float, ...]
    # Residents who stay when a second declaration is made (None: no second declaration).
    staying: tuple[str, ...] | None = None
    dissolved: bool = False
    applications: tuple[tuple[str, str], ...] = ()


def _r(idcs: str, sex: str, born: date | int, relationship: str, **extra: Any) -> Resident:
    if isinstance(born, int):
        return Resident(idcs, sex, born, None, relationship, **extra)
    return Resident(idcs, sex, born.year, born, relationship, **extra)


PLANS = (
    HouseholdPlan(
        "H1",
        ANNEX_A,
        (
            _r(
                "3100000001",
                "M",
                date(1970, 3, 3),
                "head",
                given_lat="Youssef",
                family_lat="Alami",
                given_ar="يوسف",
                family_ar="العلمي",
                cin="AB123456",
                phone="+212612345678",
                marital_status="married",
            ),
            _r(
                "3100000002",
                "F",
                date(1975, 6, 1),
                "spouse",
                given_lat=None,
                family_lat=None,
                given_ar="فاطمة",
                family_ar="العلمي",
                marital_status="married",
                occupation="homemaker",
            ),
            _r("3100000003", "F", date(2016, 9, 9), "child", occupation=None),
        ),
        (5.0,),
        applications=(("amo-tadamon", "accepted"),),
    ),
    HouseholdPlan(
        "H2",
        ANNEX_A,
        (_r("3100000011", "F", 1940, "head", marital_status="widowed", disability=True, occupation="inactive"),),
        (THRESHOLD,),
        applications=(("asd", "accepted"),),
    ),
    HouseholdPlan(
        "H3",
        ANNEX_B,
        (
            _r("3200000001", "M", date(1980, 1, 1), "head"),
            _r("3200000002", "M", date(2010, 5, 5), "child", occupation="student"),
        ),
        (12.0, 8.0),
        applications=(("amo-tadamon", "refused"),),
    ),
    HouseholdPlan("H4", ANNEX_OTHER_PROVINCE, (_r("3300000001", "F", date(1985, 2, 2), "head"),), (3.0,)),
    HouseholdPlan(
        "H5",
        ANNEX_B,
        (
            _r("3200000011", "M", date(1990, 7, 7), "head"),
            _r("3200000012", "F", date(1992, 1, 1), "spouse"),
        ),
        (2.0,),
        staying=("3200000011",),
    ),
    HouseholdPlan("H6", ANNEX_A, (_r("3100000021", "M", date(1960, 1, 1), "head"),), (1.0,), dissolved=True),
)


@dataclass(frozen=True)
class Fact:
    """One current member of an active household, as the oracle sees it."""

    household: str
    number: str
    annex: str
    score: float
    size: int
    enrolled: frozenset[str]
    resident: Resident


@dataclass
class World:
    factory: sessionmaker[Session]
    numbers: dict[str, str]
    facts: list[Fact]

    def run(self, criteria: Criteria, partner: Partner = NATIONAL) -> Any:
        with self.factory() as session:
            return search(session, partner, criteria, today=TODAY)


def _add_person(session: Session, annex: str, resident: Resident) -> None:
    now = datetime.now(UTC)
    session.add(IssuedIdcs(number=resident.idcs, issued_at=now, issued_by="test"))
    session.flush()
    session.add(
        Person(
            idcs=resident.idcs,
            cin=resident.cin,
            given_name_lat=resident.given_lat,
            family_name_lat=resident.family_lat,
            given_name_ar=resident.given_ar,
            family_name_ar=resident.family_ar,
            sex=resident.sex,
            birth_year=resident.birth_year,
            birth_date=resident.birth_date,
            birth_date_precision="day" if resident.birth_date else "year",
            nationality="MAR",
            phone=resident.phone,
            annex_code=annex,
            status="active",
            created_by="test",
            created_at=now,
            updated_by="test",
            updated_at=now,
        )
    )
    session.flush()


def _members(residents: Iterable[Resident]) -> list[dict[str, Any]]:
    return [
        member(
            r.idcs,
            r.relationship,
            occupation=r.occupation,
            marital_status=r.marital_status,
            disability=r.disability,
            in_school=r.occupation == "student" or r.age(TODAY) < 15,
        )
        for r in residents
    ]


def _declare(session: Session, plan: HouseholdPlan) -> str:
    for resident in plan.residents:
        _add_person(session, plan.annex, resident)
    household = service.declare_household(
        session=session, actor=SYSTEM, data=HouseholdIn(**form(plan.annex, _members(plan.residents))), today=TODAY
    )
    number = household.number
    for score in plan.corrections:
        service.correct_score(
            session=session, actor=SYSTEM, number=number, data=CorrectionIn(score=score, reason="enquête sur place")
        )
    if plan.staying is not None:
        staying = [r for r in plan.residents if r.idcs in plan.staying]
        update = {**form(plan.annex, _members(staying)), "declared_on": "2026-04-01", "version": household.version}
        update.pop("annex_code")
        service.update_declaration(session=session, actor=SYSTEM, number=number, data=DeclarationUpdateIn(**update))
    if plan.dissolved:
        household.status = "dissolved"
    now = datetime.now(UTC)
    for index, (workflow, status) in enumerate(plan.applications):
        # Straight to the operator's decision: the enrollment flow itself is tested in tests/enrollment.
        session.add(
            Application(
                receipt=f"T{plan.key}{index:04d}",
                workflow=workflow,
                channel="annex",
                annex_code=plan.annex,
                applicant_idcs=plan.residents[0].idcs,
                household_id=household.id,
                status=status,
                current_version=1,
                submitted_by="test",
                received_at=now,
                decided_at=now,
            )
        )
    session.flush()
    return number


def build_world(factory: sessionmaker[Session]) -> World:
    numbers: dict[str, str] = {}
    facts: list[Fact] = []
    with transaction(factory) as session:
        seed_territory(session, SYSTEM)
        for plan in PLANS:
            numbers[plan.key] = _declare(session, plan)
    with factory() as session:
        for plan in PLANS:
            if plan.dissolved:
                continue
            household = session.get(Household, int(numbers[plan.key][2:]))
            assert household is not None
            score = current_score(session, household.id)
            assert score is not None
            effective = effective_score(session, score)[0]
            current = [r for r in plan.residents if plan.staying is None or r.idcs in plan.staying]
            enrolled = frozenset(w for w, status in plan.applications if status == "accepted")
            for resident in current:
                facts.append(Fact(plan.key, numbers[plan.key], plan.annex, effective, len(current), enrolled, resident))
    return World(factory, numbers, facts)


# --- the oracle ---------------------------------------------------------------------------------


def _test(fact: Fact, comparison: Comparison) -> bool:
    field, operator = comparison.attribute, comparison.operator
    values = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
    if field in ("region_code", "province_code", "commune_code", "annex_code"):
        return any(fact.annex == v or fact.annex.startswith(f"{v}.") for v in values)
    if field == "enrolled_in":
        return bool(fact.enrolled & set(values))
    if field == "sex":
        return {"M": "male", "F": "female"}[fact.resident.sex] in values
    actual: float = {
        "poverty_score": fact.score,
        "group_size": fact.size,
        "age": fact.resident.age(TODAY),
    }[field]
    if operator == "in":
        return actual in values
    wanted = float(values[0])
    return {
        "gt": actual > wanted,
        "lt": actual < wanted,
        "ge": actual >= wanted,
        "le": actual <= wanted,
        "eq": actual == wanted,
    }[operator]


def holds(fact: Fact, node: Filter) -> bool:
    if isinstance(node, Comparison):
        return _test(fact, node)
    assert isinstance(node, Combined)
    results = [holds(fact, part) for part in node.parts]
    if node.condition == "and":
        return all(results)
    if node.condition == "or":
        return any(results)
    return results[0] and not results[1]


def expected_members(world: World, node: Filter, territories: tuple[str, ...] | None = None) -> set[str]:
    return {
        f.resident.idcs
        for f in world.facts
        if holds(f, node) and (territories is None or any(f.annex.startswith(f"{t}.") for t in territories))
    }


def expected_groups(world: World, node: Filter, territories: tuple[str, ...] | None = None) -> set[str]:
    by_idcs = {f.resident.idcs: f.number for f in world.facts}
    return {by_idcs[i] for i in expected_members(world, node, territories)}


def group_numbers(records: Iterable[dict[str, Any]]) -> list[str]:
    return [r["group_identifier"][0]["identifier_value"] for r in records]


def member_idcs(records: Iterable[dict[str, Any]]) -> list[str]:
    return [r["member_identifier"][0]["identifier_value"] for r in records]
