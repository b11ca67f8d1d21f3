"""Declaring households: the rules of membership, the whole form checked, scores and their history."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from sijill.population.models import Person
from sijill.scoring.packed import matrix_of, unpack
from sijill.scoring.questionnaire import shipped_questionnaires
from sijill.social_registry import queries, service
from sijill.social_registry.models import (
    Declaration,
    DeclarationForm,
    Household,
    HouseholdMember,
    IndexScore,
    ScoreEvent,
)
from sijill.social_registry.schemas import CorrectionIn, DeclarationUpdateIn, HouseholdIn
from sijill.social_registry.scores import thresholds
from sijill.social_registry.volatility import between_rounds
from tests.conftest import actor
from tests.factories import ANNEX_A, ANNEX_B, seed_territory
from tests.social_registry.support import add_person, form, member

AGENT_A = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a")
AGENT_B = actor(Role.ANNEX_AGENT, ANNEX_B, "agent_b")
REVIEWER = actor(Role.REVIEWER, "03.02", "reviewer")
TODAY = date(2026, 6, 1)


@pytest.fixture
def world(session_factory: sessionmaker[Session], system_actor: Actor) -> sessionmaker[Session]:
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        add_person(session, "1100000001", ANNEX_A, sex="M", born=date(1975, 2, 3))
        add_person(session, "1100000002", ANNEX_A, born=date(1979, 8, 9))
        add_person(session, "1100000003", ANNEX_A, born=date(2015, 1, 20))
        add_person(session, "1100000004", ANNEX_A, born=date(2012, 4, 4))
        add_person(session, "1100000005", ANNEX_A, born=date(2010, 1, 1))  # a minor
        add_person(session, "1100000006", ANNEX_A, born=date(1950, 1, 1), death_date=date(2025, 12, 1))
        add_person(session, "1100000007", ANNEX_A, born=date(1990, 7, 7))
        add_person(session, "2200000001", ANNEX_B, sex="M", born=date(1970, 1, 1))
        add_person(session, "2200000002", ANNEX_B, born=date(1972, 1, 1))
    return session_factory


FAMILY = [
    member("1100000001", "head"),
    member("1100000002", "spouse", occupation="homemaker"),
    member("1100000003", "child", in_school=True, occupation=None),
]


def _declare(factory: sessionmaker[Session], who: Actor, data: dict[str, Any]) -> str:
    with transaction(factory) as session:
        household = service.declare_household(session=session, actor=who, data=HouseholdIn(**data), today=TODAY)
        return household.number


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_declared_household_is_scored_and_traced(world: sessionmaker[Session]) -> None:
    number = _declare(world, AGENT_A, form(ANNEX_A, FAMILY))
    with transaction(world) as session:
        household = queries.read_household(session, AGENT_A, number)
        explanation = queries.explain_score(session, AGENT_A, number)
    assert number.startswith("HH") and household.milieu == "urban" and household.version == 1
    assert household.declaration.number == 1
    assert household.declaration.declarant_idcs == "1100000001"
    assert household.declaration.variables["household_size"] == 3
    assert household.declaration.variables["children_6_14"] == 1
    assert {m.idcs: m.age for m in household.declaration.members} == {
        "1100000001": 51,
        "1100000002": 46,
        "1100000003": 11,
    }
    score = household.score
    assert score is not None and score.model == "rsu-index@2026.1"
    assert score.corrected is None and score.effective == score.calculated
    assert score.calculated == pytest.approx(explanation.score, abs=1e-6)
    assert explanation.score == pytest.approx(
        explanation.intercept + explanation.regional + sum(c.contribution for c in explanation.contributions)
    )
    assert len(explanation.contributions) == 35
    with world() as session:
        events = {e.programme: e.direction for e in session.execute(select(ScoreEvent)).scalars()}
        actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert events == {t.programme: "entered" for t in thresholds() if score.calculated <= t.at_most}
    assert {"household.declare", "household.read", "household.explain"} <= set(actions)


def test_the_form_keeps_its_variables_also_packed_for_national_batches(world: sessionmaker[Session]) -> None:
    _declare(world, AGENT_A, form(ANNEX_A, FAMILY))
    with world() as session:
        saved = session.execute(select(DeclarationForm)).scalar_one()
        questionnaire = session.execute(select(Declaration.questionnaire)).scalar_one()
    layout = shipped_questionnaires()[questionnaire]
    assert saved.packed_variables is not None
    unpacked = unpack(matrix_of(saved.packed_variables, 1, layout), layout, set(layout.variables)).row(0, named=True)
    # Urban: every variable asked in town is there, the rural-only ones are empty.
    assert unpacked == {name: saved.variables.get(name) for name in layout.variables}
    assert {n for n, v in unpacked.items() if v is None} == {
        q.name for q in layout.variables.values() if "urban" not in q.milieus
    }


def test_every_problem_of_the_form_is_listed_and_nothing_is_written(world: sessionmaker[Session]) -> None:
    members = [
        member("1100000005", "head"),
        member("1100000006", "spouse"),
        member("9999999999", "child"),
        member("1100000003", "child"),
        member("1100000003", "child"),
    ]
    with pytest.raises(SijillError) as caught:
        _declare(world, AGENT_A, form(ANNEX_A, members))
    error = caught.value
    assert error.status == 422 and error.code == "declaration_invalid"
    rules = {(p["field"], p["rule"]) for p in error.details}
    assert rules == {
        ("members.1.idcs", "member_deceased"),
        ("members.2.idcs", "person_unknown"),
        ("members.4.idcs", "member_repeated"),
        ("declarant_idcs", "declarant_minor"),
    }
    assert all(p["ar"] and p["fr"] for p in error.details)
    for model in (Household, HouseholdMember, Declaration, IndexScore, ScoreEvent):
        assert _count(world, model) == 0


def test_answers_are_checked_once_members_are_right(world: sessionmaker[Session]) -> None:
    with pytest.raises(SijillError) as caught:
        _declare(world, AGENT_A, form(ANNEX_A, FAMILY, spend_phone=-10, rooms=40, fridge="yes"))
    fields = {p["field"]: p["rule"] for p in caught.value.details}
    assert fields == {"answers.fridge": "type_boolean"}
    with pytest.raises(SijillError) as caught:
        _declare(world, AGENT_A, {**form(ANNEX_A, FAMILY, spend_phone=-10, rooms=40), "declared_on": "2026-03-01"})
    fields = {p["field"]: p["rule"] for p in caught.value.details}
    assert fields == {"answers.spend_phone": "out_of_range", "answers.rooms": "out_of_range"}
    assert _count(world, Household) == 0


def test_declarant_must_be_a_member_and_the_head(world: sessionmaker[Session]) -> None:
    data = form(ANNEX_A, FAMILY)
    with pytest.raises(SijillError) as caught:
        _declare(world, AGENT_A, {**data, "declarant_idcs": "1100000004"})
    assert {p["rule"] for p in caught.value.details} == {"declarant_not_member"}
    with pytest.raises(SijillError) as caught:
        _declare(world, AGENT_A, {**data, "declarant_idcs": "1100000002"})
    assert {p["rule"] for p in caught.value.details} == {"declarant_not_head"}


def test_a_person_is_in_one_active_household_and_other_territories_stay_hidden(world: sessionmaker[Session]) -> None:
    first = _declare(world, AGENT_A, form(ANNEX_A, FAMILY))
    with pytest.raises(SijillError) as caught:
        _declare(world, AGENT_A, form(ANNEX_A, [member("1100000002", "head")]))
    (problem,) = caught.value.details
    assert problem["rule"] == "member_in_other_household" and first in problem["fr"]
    # From another annex, the conflict is stated but the household is not named.
    with pytest.raises(SijillError) as caught:
        _declare(world, AGENT_B, form(ANNEX_B, [member("2200000001", "head"), member("1100000002", "spouse")]))
    (problem,) = caught.value.details
    assert problem["rule"] == "member_in_other_household"
    assert first not in problem["fr"] and first not in problem["ar"] and ANNEX_A not in problem["fr"]
    assert _count(world, Household) == 1


def test_update_moves_members_and_rescores_without_touching_the_first_version(world: sessionmaker[Session]) -> None:
    number = _declare(world, AGENT_A, form(ANNEX_A, FAMILY))
    newcomer = [*FAMILY[:2], member("1100000004", "child", in_school=True, occupation=None)]
    update = {**form(ANNEX_A, newcomer, spend_electricity=300), "declared_on": "2026-05-01", "version": 1}
    del update["annex_code"], update["address"]
    with transaction(world) as session:
        service.update_declaration(
            session=session, actor=AGENT_A, number=number, data=DeclarationUpdateIn(**update), today=TODAY
        )
    with transaction(world) as session:
        household = queries.read_household(session, AGENT_A, number)
        history = queries.household_history(session, AGENT_A, number)
        memberships = session.execute(select(HouseholdMember).order_by(HouseholdMember.id)).scalars().all()
    assert household.version == 2 and household.declaration.number == 2
    assert [d.number for d in history.declarations] == [1, 2]
    assert history.declarations[0].answers["spend_electricity"] == 90
    assert history.declarations[1].answers["spend_electricity"] == 300
    assert [s.declaration_number for s in history.scores] == [1, 2]
    assert history.scores[0].calculated != history.scores[1].calculated
    left = [m for m in memberships if m.valid_to is not None]
    assert [(m.valid_to, m.relationship) for m in left] == [(date(2026, 5, 1), "child")]
    assert sum(m.valid_to is None for m in memberships) == 3
    # The child who left may now be declared in another household.
    aunt = [member("1100000007", "head"), member("1100000003", "other_relative", in_school=True, occupation=None)]
    assert _declare(world, AGENT_A, form(ANNEX_A, aunt)) != number
    with transaction(world) as session:
        rounds = between_rounds(session, actor(Role.SUPERVISOR_PROVINCE, "03.02"), "rsu-index@2026.1")
        elsewhere = between_rounds(session, actor(Role.SUPERVISOR_PROVINCE, "04.04"), "rsu-index@2026.1")
    assert rounds.households == 1 and elsewhere.households == 0
    change = abs(history.scores[1].calculated - history.scores[0].calculated)
    assert rounds.mean_absolute_change == pytest.approx(change, abs=1e-4)
    # A stale form is refused.
    with pytest.raises(SijillError) as caught, transaction(world) as session:
        service.update_declaration(
            session=session, actor=AGENT_A, number=number, data=DeclarationUpdateIn(**update), today=TODAY
        )
    assert caught.value.status == 409 and caught.value.code == "version_conflict"


def test_declarations_and_scores_are_immutable_in_the_database(world: sessionmaker[Session]) -> None:
    _declare(world, AGENT_A, form(ANNEX_A, FAMILY))
    for statement in (
        "UPDATE declaration SET channel = 'online'",
        "DELETE FROM index_score",
        "UPDATE declaration_member SET age = 1",
        "UPDATE declaration_form SET answers = variables",
    ):
        with pytest.raises(DBAPIError, match="immutable"), transaction(world) as session:
            session.execute(text(statement))
    # A score must name a declaration (checked by trigger, see IndexScore), in a batch as alone.
    for statement in (
        "INSERT INTO index_score (declaration_id, model, score, calculated_at, calculated_by) "
        "VALUES (999999, 'm', 9.0, CURRENT_TIMESTAMP, 't')",
        "INSERT INTO index_score (declaration_id, model, score, calculated_at, calculated_by) "
        "SELECT id + 1000, 'm', 9.0, CURRENT_TIMESTAMP, 't' FROM declaration",
    ):
        with pytest.raises(DBAPIError, match="missing declaration"), transaction(world) as session:
            session.execute(text(statement))
    with transaction(world) as session:
        session.execute(
            text(
                "INSERT INTO index_score (declaration_id, model, score, calculated_at, calculated_by) "
                "SELECT id, 'other', 9.0, CURRENT_TIMESTAMP, 't' FROM declaration"
            )
        )
    assert _count(world, IndexScore) == 2


def test_reviewer_corrects_the_index_with_a_reason(world: sessionmaker[Session]) -> None:
    number = _declare(world, AGENT_A, form(ANNEX_A, FAMILY))
    with pytest.raises(ForbiddenError), transaction(world) as session:
        service.correct_score(
            session=session, actor=AGENT_A, number=number, data=CorrectionIn(score=9.0, reason="visite à domicile")
        )
    with world() as session:
        calculated = session.execute(select(IndexScore.score)).scalar_one()
    new = 11.5 if calculated <= 9.743001 else 9.0
    with transaction(world) as session:
        service.correct_score(
            session=session,
            actor=REVIEWER,
            number=number,
            data=CorrectionIn(score=new, reason="visite à domicile du 2026-05-20"),
        )
    with transaction(world) as session:
        household = queries.read_household(session, REVIEWER, number)
        history = queries.household_history(session, REVIEWER, number)
        causes = session.execute(select(ScoreEvent.cause, ScoreEvent.direction)).all()
        actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert household.score is not None
    assert household.score.calculated == calculated and household.score.effective == new
    assert household.score.correction_reason == "visite à domicile du 2026-05-20"
    assert [c.corrected_score for c in history.scores[0].corrections] == [new]
    assert ("correction", "left" if new > calculated else "entered") in causes
    assert "score.correct" in actions


def test_out_of_scope_household_is_not_found(world: sessionmaker[Session]) -> None:
    number = _declare(world, AGENT_A, form(ANNEX_A, FAMILY))
    with pytest.raises(NotFoundError), transaction(world) as session:
        queries.read_household(session, AGENT_B, number)
    with pytest.raises(NotFoundError):
        _declare(world, AGENT_B, form(ANNEX_A, FAMILY))
    with pytest.raises(NotFoundError), transaction(world) as session:
        queries.read_household(session, AGENT_A, "HH999999999")


@pytest.mark.postgres
def test_two_agents_declaring_the_same_person_at_once_make_one_household(
    world: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def declare(members: list[dict[str, Any]]) -> None:
        barrier.wait()
        try:
            _declare(world, AGENT_A, form(ANNEX_A, members))
            outcomes.append("ok")
        except SijillError as exc:
            outcomes.append(exc.code)

    threads = [
        threading.Thread(target=declare, args=([member("1100000001", "head")],)),
        threading.Thread(target=declare, args=([member("1100000002", "head"), member("1100000001", "spouse")],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "ok" and outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"member_in_other_household", "declaration_invalid"}
    with world() as session:
        memberships = session.execute(
            select(func.count())
            .select_from(HouseholdMember)
            .join(Person, Person.id == HouseholdMember.person_id)
            .where(Person.idcs == "1100000001", HouseholdMember.valid_to.is_(None))
        ).scalar_one()
    assert memberships == 1
    assert _count(world, Household) == 1


def test_marital_status_is_kept_with_the_member_and_checked(world: sessionmaker[Session]) -> None:
    widow_family = [
        member("1100000002", "head", occupation="homemaker", marital_status="widowed"),
        member("1100000003", "child", in_school=True, occupation=None),
    ]
    with pytest.raises(SijillError) as caught:
        _declare(world, AGENT_A, form(ANNEX_A, [{**widow_family[0], "marital_status": "engaged"}, widow_family[1]]))
    assert {(p["field"], p["value"]) for p in caught.value.details} == {("members.0.marital_status", "engaged")}
    assert _count(world, Household) == 0
    number = _declare(world, AGENT_A, form(ANNEX_A, widow_family))
    with transaction(world) as session:
        read = queries.read_household(session, AGENT_A, number)
    assert {m.idcs: m.marital_status for m in read.declaration.members} == {"1100000002": "widowed", "1100000003": None}
