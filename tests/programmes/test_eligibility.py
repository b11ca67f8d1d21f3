"""Decisions for one household from the registry: the index used, the members that day, the
exclusions other registries bring, the scope, and the errors on bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from sijill.linkage.registries import import_registry
from sijill.programmes.queries import household_eligibility
from sijill.programmes.schemas import DecisionOut
from sijill.social_registry import service
from sijill.social_registry.models import Declaration, DeclarationForm, DeclarationMember, Household
from sijill.social_registry.schemas import CorrectionIn, HouseholdIn
from tests.conftest import actor
from tests.factories import ANNEX_A, ANNEX_B, seed_territory
from tests.social_registry.support import add_person, form, member

AGENT = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a")
REVIEWER = actor(Role.REVIEWER, "03.02", "reviewer")
DAY = date(2026, 6, 1)
WIDOW_AND_CHILDREN = [
    member("4400000001", "head", occupation="homemaker", marital_status="widowed"),
    member("4400000002", "child", in_school=True, occupation=None, education="primary"),
    member("4400000003", "child", in_school=True, occupation=None, education="preschool"),
]


@pytest.fixture
def household(session_factory: sessionmaker[Session], system_actor: Actor) -> str:
    """A widow with two schooled children, her index corrected to 9.0 by a reviewer."""
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        add_person(session, "4400000001", ANNEX_A, born=date(1984, 2, 2), cin="AB123456")
        add_person(session, "4400000002", ANNEX_A, born=date(2014, 9, 1))
        add_person(session, "4400000003", ANNEX_A, born=date(2019, 3, 1))
        created = service.declare_household(
            session=session,
            actor=AGENT,
            data=HouseholdIn(**{**form(ANNEX_A, WIDOW_AND_CHILDREN), "declared_on": "2026-02-01"}),
            today=date(2026, 2, 1),
        )
        number = created.number
    with transaction(session_factory) as session:
        service.correct_score(
            session=session, actor=REVIEWER, number=number, data=CorrectionIn(score=9.0, reason="enquête sur place")
        )
    return number


def _decisions(
    factory: sessionmaker[Session], number: str, who: Actor = AGENT, **options: object
) -> dict[str, DecisionOut]:
    with transaction(factory) as session:
        found = household_eligibility(session, who, number, **options)  # type: ignore[arg-type]
    return {d.programme: d for d in found}


def test_each_programme_decides_on_the_corrected_index_with_its_lines(
    session_factory: sessionmaker[Session], household: str
) -> None:
    found = _decisions(session_factory, household, as_of=DAY)
    assert set(found) == {"amo-tadamon", "amo-achamil", "asd", "daam", "vocational-grant", "university-grant"}
    assert all(d.index == 9.0 and d.model == "rsu-index@2026.1" and d.as_of == DAY for d in found.values())
    tadamon, achamil, asd, daam = found["amo-tadamon"], found["amo-achamil"], found["asd"], found["daam"]
    assert (tadamon.status, tadamon.amount, tadamon.rule) == ("eligible", None, "amo-tadamon@2022-12")
    assert achamil.status == "not_eligible"
    assert [r.code for r in achamil.reasons] == ["index_within_tadamon"]
    assert achamil.reasons[0].text.fr.startswith("Indice au plus au seuil")
    assert (asd.status, asd.rule, asd.amount, asd.period) == ("eligible", "asd@2026-01", 600.0, "month")
    assert [(line.line, line.idcs, line.rank, line.amount) for line in asd.lines] == [
        ("child_allowance", "4400000002", 1, 300.0),
        ("child_allowance", "4400000003", 2, 300.0),
    ]
    assert asd.lines[0].label.ar == "منحة عن طفل"
    assert (daam.status, daam.amount, daam.rule_status) == ("eligible", 700.0, "illustrative")
    assert {(m.idcs, m.age, m.marital_status) for m in asd.members} == {
        ("4400000001", 42, "widowed"),
        ("4400000002", 11, None),
        ("4400000003", 7, None),
    }
    assert found["university-grant"].status == "not_eligible"
    assert set(_decisions(session_factory, household, as_of=DAY, programme="asd")) == {"asd"}


def test_a_pension_in_another_registry_excludes_and_is_shown_as_evidence(
    session_factory: sessionmaker[Session], system_actor: Actor, household: str, tmp_path: Path
) -> None:
    extract = tmp_path / "pensions.csv"
    pl.DataFrame([{"registry_record_id": "CMR-77", "cin": "AB123456", "pension_start": "2026-04-01"}]).write_csv(
        extract
    )
    with transaction(session_factory) as session:
        import_registry(session=session, actor=system_actor, registry="pensioners", path=extract)
    found = _decisions(session_factory, household, as_of=DAY)
    asd, daam = found["asd"], found["daam"]
    assert (asd.status, [r.code for r in asd.reasons], asd.amount, asd.lines) == (
        "not_eligible",
        ["receives_a_pension"],
        None,
        [],
    )
    assert [(e.reason, e.idcs, e.registry) for e in asd.exclusions] == [
        ("receives_a_pension", "4400000001", "pensioners")
    ]
    assert [r.code for r in daam.reasons] == ["other_state_aid"]
    assert found["amo-tadamon"].status == "eligible"  # a pension is not health cover here
    # Before the pension started, it excluded nobody.
    earlier = _decisions(session_factory, household, as_of=date(2026, 3, 31), programme="asd")
    assert earlier["asd"].status == "eligible"


def test_a_household_without_an_index_is_not_decidable_never_refused(
    session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    now = datetime.now(UTC)
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        head = add_person(session, "4400000009", ANNEX_A, born=date(1970, 1, 1))
        # A household whose declaration was never scored (written before scoring, or its model retired).
        unscored = Household(
            annex_code=ANNEX_A,
            milieu="urban",
            address="Derb 1",
            status="active",
            created_by="t",
            created_at=now,
            updated_by="t",
            updated_at=now,
        )
        session.add(unscored)
        session.flush()
        declaration = Declaration(
            household_id=unscored.id,
            number=1,
            declared_on=date(2026, 1, 5),
            declarant_person_id=head.id,
            channel="annex",
            questionnaire="rsu-questionnaire@2026.1",
            declared_by="t",
            recorded_at=now,
        )
        session.add(declaration)
        session.flush()
        session.add(DeclarationForm(declaration_id=declaration.id, answers={}, variables={}))
        session.add(
            DeclarationMember(
                declaration_id=declaration.id,
                person_id=head.id,
                relationship="head",
                age=56,
                education="none",
                in_school=False,
                occupation="inactive",
                disability=False,
            )
        )
        number = unscored.number
    found = _decisions(session_factory, number, who=system_actor, as_of=DAY)
    assert {d.status for d in found.values()} == {"not_decidable"}
    assert all(d.reasons[0].code == "no_index" and d.amount is None for d in found.values())
    assert found["asd"].reasons[0].text.fr.startswith("Décision impossible")


def test_scope_roles_and_bad_requests(session_factory: sessionmaker[Session], household: str) -> None:
    with pytest.raises(NotFoundError):
        _decisions(session_factory, household, who=actor(Role.ANNEX_AGENT, ANNEX_B, "agent_b"), as_of=DAY)
    with pytest.raises(ForbiddenError):
        _decisions(session_factory, household, who=actor(Role.POLICY_ANALYST, None, "analyst"), as_of=DAY)
    with pytest.raises(SijillError) as unknown:
        _decisions(session_factory, household, as_of=DAY, programme="ramed")
    assert unknown.value.code == "unknown_programme"
    with pytest.raises(SijillError) as no_rule:
        _decisions(session_factory, household, as_of=date(2023, 6, 1), programme="asd")
    assert no_rule.value.code == "no_rule_in_force"
    with pytest.raises(SijillError) as too_early:
        _decisions(session_factory, household, as_of=date(2026, 1, 31))
    assert too_early.value.code == "not_declared_yet" and too_early.value.status == 422
    with pytest.raises(SijillError) as no_model:
        _decisions(session_factory, household, as_of=DAY, model="1999.1")
    assert no_model.value.code == "unknown_model"


def test_reading_a_decision_is_audited(session_factory: sessionmaker[Session], household: str) -> None:
    _decisions(session_factory, household, as_of=DAY, programme="asd")
    with session_factory() as session:
        entries = session.execute(select(AuditEntry).where(AuditEntry.action == "eligibility.read")).scalars().all()
    assert [(e.actor, e.entity_id) for e in entries] == [("agent_a", household)]
