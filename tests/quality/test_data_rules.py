"""The data rules: the catalogue, the same verdict at intake and in batch, the batch over a stored
registry (violations by rule, annex and agent, the records behind them), runs and their trend."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Permission, Role
from sijill.db import transaction
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from sijill.population.models import Person
from sijill.quality.catalogue import catalogue
from sijill.quality.data_rules import PERSON_RULES, SEVERITIES, age_expr, broken_rules
from sijill.quality.models import QualityRun
from sijill.quality.run import latest_alerts, run_quality
from sijill.quality.trend import latest_violations, violation_trend
from sijill.quality.violations import by_group, by_rule, evaluate, violation_records
from sijill.social_registry import service
from sijill.social_registry.schemas import HouseholdIn
from tests.conftest import actor
from tests.factories import ANNEX_A, ANNEX_B, seed_territory
from tests.social_registry.support import add_person, form, member

TODAY = date(2026, 6, 1)
ADMIN = actor(Role.ADMIN, None, "admin")
NATIONAL = actor(Role.SUPERVISOR_NATIONAL, None, "national")
PROVINCE = actor(Role.SUPERVISOR_PROVINCE, "03.02", "province")
AGENT_A = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a")
AGENT_B = actor(Role.ANNEX_AGENT, ANNEX_B, "agent_b")


def test_the_catalogue_lists_every_rule_once_with_its_messages() -> None:
    entries = catalogue(TODAY)
    keys = [(e.entity, e.code) for e in entries]
    assert len(keys) == len(set(keys))
    codes = {e.code: e for e in entries}
    assert codes["cin_format"].severity == "error" and "batch" in codes["cin_format"].runs
    assert codes["phone_missing"].runs == ("intake", "batch") and codes["phone_missing"].severity == "warning"
    assert codes["deceased_member"].entity == "household" and codes["member_in_other_household"].runs[0] == "intake"
    for entry in entries:
        assert entry.severity in SEVERITIES
        assert entry.message.ar and entry.message.fr and entry.message.en and entry.fix.fr and entry.fix.ar
    # The bound that moves with time is written out.
    assert "2026" in codes["birth_year_range"].message.fr


_person = st.fixed_dictionaries(
    {
        "age": st.integers(0, 110),
        "phone": st.none() | st.just("+212661234567"),
        "cin": st.none() | st.just("AB123456"),
        "nationality": st.sampled_from(["MAR", "FRA"]),
        "birth_date_precision": st.sampled_from(["day", "year", "presumed"]),
        "given_name_ar": st.none() | st.just("محمد"),
        "family_name_ar": st.none() | st.just("العلوي"),
        "given_name_lat": st.none() | st.just("Mohamed"),
        "family_name_lat": st.none() | st.just("Alaoui"),
        "given_key_count": st.none() | st.integers(1, 5),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_person, min_size=1, max_size=30))
def test_a_frame_breaks_the_rules_its_rows_break_one_by_one(people: list[dict[str, Any]]) -> None:
    """The batch's verdict on a frame is the intake's verdict on each record alone."""
    frame = pl.DataFrame(people).with_row_index("key")
    together = broken_rules(frame, PERSON_RULES, TODAY, "key").sort("key", "rule")
    alone = pl.concat([broken_rules(frame.slice(i, 1), PERSON_RULES, TODAY, "key") for i in range(frame.height)]).sort(
        "key", "rule"
    )
    assert together.equals(alone)
    # An adult is one who is 18.
    adults = set(frame.filter((pl.col("age") >= 18) & pl.col("phone").is_null())["key"])
    assert set(together.filter(pl.col("rule") == "phone_missing")["key"]) == adults


def test_age_is_counted_from_the_birth_year() -> None:
    ages = pl.DataFrame({"birth_year": [2008, 2009]}).select(age_expr(TODAY)).to_series().to_list()
    assert ages == [18, 17]


def _declare(factory: sessionmaker[Session], who: Actor, data: dict[str, Any]) -> str:
    with transaction(factory) as session:
        return service.declare_household(session=session, actor=who, data=HouseholdIn(**data), today=TODAY).number


@pytest.fixture
def world(session_factory: sessionmaker[Session], system_actor: Actor) -> sessionmaker[Session]:
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        add_person(session, "1100000001", ANNEX_A, sex="M", born=date(1975, 2, 3), cin="A100001")
        add_person(session, "1100000002", ANNEX_A, born=date(1979, 8, 9), cin="A100002")
        add_person(session, "1100000003", ANNEX_A, born=date(2015, 1, 20))
        # A record written before the CIN rule, in a form intake refuses today.
        add_person(session, "1100000004", ANNEX_A, born=date(1960, 1, 1), cin="12-34")
        add_person(session, "2200000001", ANNEX_B, sex="M", born=date(1970, 1, 1), cin="B200001")
        session.execute(update(Person).values(phone="+212661234567", given_name_ar="تجربة", family_name_ar="شخص"))
        session.execute(update(Person).where(Person.idcs == "1100000002").values(phone=None, created_by="agent_x"))
    family = [
        member("1100000001", "head"),
        member("1100000002", "spouse", occupation="homemaker"),
        member("1100000003", "child", in_school=True, occupation=None),
    ]
    _declare(session_factory, AGENT_A, form(ANNEX_A, family))
    _declare(session_factory, AGENT_B, form(ANNEX_B, [member("2200000001", "head")]))
    # The spouse dies; the household has not been updated since.
    with transaction(session_factory) as session:
        session.execute(
            update(Person).where(Person.idcs == "1100000002").values(status="deceased", death_date=date(2026, 5, 1))
        )
    return session_factory


def test_the_batch_finds_what_the_stored_registry_breaks_by_rule_annex_and_agent(
    world: sessionmaker[Session],
) -> None:
    with transaction(world) as session:
        found = evaluate(session, PROVINCE, today=TODAY)
    rules = {row["rule"]: row for row in by_rule(found).iter_rows(named=True)}
    # The intake rule, re-checked in batch, catches the legacy CIN; the deceased spouse is no
    # longer an active person but is still listed in her household.
    assert rules["cin_format"]["violations"] == 1 and rules["cin_format"]["severity"] == "error"
    assert rules["deceased_member"]["violations"] == 1 and rules["deceased_member"]["checked"] == 2
    assert "phone_missing" not in rules  # the one adult without a phone is the deceased spouse
    annexes = by_group(found, "annex_code")
    assert set(annexes.filter(pl.col("rule") == "deceased_member")["annex_code"]) == {ANNEX_A}
    agents = by_group(found, "agent")
    assert set(agents.filter(pl.col("rule") == "deceased_member")["agent"]) == {"agent_a"}
    # Persons are counted once per rule, households once per rule; the other annex is apart.
    with transaction(world) as session:
        mine = evaluate(session, AGENT_B, today=TODAY, permission=Permission.PERSON_READ)
    assert set(mine.records["annex_code"]) == {ANNEX_B} and mine.broken.is_empty()
    with transaction(world) as session:
        with pytest.raises(NotFoundError):
            evaluate(session, actor(Role.SUPERVISOR_PROVINCE, "04.01", "far"), code=ANNEX_A)
        # Agents correct records; the reports of counts are the supervisors'.
        with pytest.raises(ForbiddenError):
            evaluate(session, AGENT_B)


def test_the_records_behind_a_rule_and_bad_requests(world: sessionmaker[Session]) -> None:
    with transaction(world) as session:
        legacy = violation_records(session, PROVINCE, "cin_format", ANNEX_A)
        households = violation_records(session, PROVINCE, "deceased_member", ANNEX_A)
        none = violation_records(session, PROVINCE, "deceased_member", ANNEX_B)
    assert legacy.to_dicts() == [
        {"entity": "person", "reference": "1100000004", "annex_code": ANNEX_A, "agent": "test"}
    ]
    assert households["reference"].str.starts_with("HH").all() and households.height == 1
    assert none.is_empty()
    with transaction(world) as session:
        with pytest.raises(SijillError) as unknown:
            violation_records(session, PROVINCE, "no_such_rule", ANNEX_A)
        assert unknown.value.status == 422 and "catalogue" in unknown.value.message.fr
        with pytest.raises(NotFoundError):
            violation_records(session, AGENT_B, "cin_format", ANNEX_A)
        with pytest.raises(SijillError) as by:
            latest_violations(session, PROVINCE, by="colour")
        assert by.value.status == 422 and by.value.field == "by"


def test_runs_keep_their_counts_the_trend_follows_them_and_a_province_run_stays_its_own(
    world: sessionmaker[Session],
) -> None:
    with transaction(world) as session:
        assert latest_violations(session, NATIONAL).is_empty()
        assert violation_trend(session, NATIONAL).is_empty()  # no run yet: empty, not an error
        first = run_quality(session=session, actor=ADMIN, today=TODAY)
    # The legacy CIN is corrected, and a province supervisor runs the detectors on their own.
    with transaction(world) as session:
        session.execute(update(Person).where(Person.idcs == "1100000004").values(cin="C100004"))
        second = run_quality(session=session, actor=ADMIN, today=TODAY)
        province_run = run_quality(session=session, actor=PROVINCE, today=TODAY)
    with transaction(world) as session:
        points = violation_trend(session, NATIONAL, rule="cin_format")
        latest = latest_violations(session, NATIONAL, by="annex")
        alerts = latest_alerts(session=session, actor=NATIONAL)
        province_alerts = latest_alerts(session=session, actor=PROVINCE)
        runs = {run.id: run.scope_code for run in session.scalars(select(QualityRun))}
    assert runs[province_run.id] == "03.02"
    # The nation's trend and figures come from the national runs only.
    assert points["run_id"].to_list() == [first.id] and points["violations"].to_list() == [1]
    assert set(latest["run_id"]) == {second.id}
    assert "cin_format" not in set(latest["rule"]) and "deceased_member" in set(latest["rule"])
    assert {a.run_id for a in alerts} == {second.id}
    assert {a.run_id for a in province_alerts} == {province_run.id}
    # The deceased member is an error-severity break: an alert in its annex, with the fix.
    stale = [a for a in alerts if a.detector == "data_rules" and a.evidence["rule"] == "deceased_member"]
    assert [a.territory_code for a in stale] == [ANNEX_A] and stale[0].evidence["fix"]["fr"]
    with transaction(world) as session:
        assert latest_alerts(session=session, actor=actor(Role.SUPERVISOR_PROVINCE, "04.01", "far")) == []


def test_a_run_records_when_it_ran(world: sessionmaker[Session]) -> None:
    before = datetime.now(UTC)
    with transaction(world) as session:
        run = run_quality(session=session, actor=ADMIN, today=TODAY)
        assert run.started_at >= before and set(run.seconds) >= {"data_rules", "agent_anomalies"}
