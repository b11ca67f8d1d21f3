"""Household splitting on households declared through the service: a move the register recorded,
a split-off at the family's address, and what is not a split."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.errors import NotFoundError
from sijill.linkage.name_key import name_key
from sijill.population.models import Person
from sijill.quality.splitting import household_splitting
from sijill.social_registry import service
from sijill.social_registry.schemas import DeclarationUpdateIn, HouseholdIn
from tests.conftest import actor
from tests.factories import ANNEX_A, ANNEX_B, seed_territory
from tests.social_registry.support import add_person, form, member

AGENT_A = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a")
AGENT_B = actor(Role.ANNEX_AGENT, ANNEX_B, "agent_b")
PROVINCE = actor(Role.SUPERVISOR_PROVINCE, "03.02", "province")
TODAY = date(2026, 6, 1)


@pytest.fixture
def world(session_factory: sessionmaker[Session], system_actor: Actor) -> sessionmaker[Session]:
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        add_person(session, "1100000001", ANNEX_A, sex="M", born=date(1975, 2, 3))
        add_person(session, "1100000002", ANNEX_A, born=date(1979, 8, 9))
        add_person(session, "1100000003", ANNEX_A, born=date(2015, 1, 20))
        add_person(session, "1100000004", ANNEX_A, sex="M", born=date(1998, 4, 4))
        add_person(session, "1100000005", ANNEX_A, born=date(1960, 1, 1))
        add_person(session, "2200000001", ANNEX_B, sex="M", born=date(1970, 1, 1))
        # Everyone is "Test Person": one family name, keyed as registration keys it.
        session.execute(update(Person).values(family_key=name_key("Person")))
    return session_factory


def _declare(factory: sessionmaker[Session], who: Actor, data: dict[str, Any]) -> str:
    with transaction(factory) as session:
        return service.declare_household(session=session, actor=who, data=HouseholdIn(**data), today=TODAY).number


def _alone(idcs: str, annex: str, address: str, declared_on: str) -> dict[str, Any]:
    return {**form(annex, [member(idcs, "head")]), "address": address, "declared_on": declared_on}


def test_a_recorded_move_and_a_split_at_the_family_address_are_found(world: sessionmaker[Session]) -> None:
    family = [
        member("1100000001", "head"),
        member("1100000002", "spouse", occupation="homemaker"),
        member("1100000003", "child", in_school=True, occupation=None),
    ]
    number = _declare(world, AGENT_A, form(ANNEX_A, family))  # 2026-03-01
    # The spouse leaves the household (the update closes her membership on 2026-04-01) ...
    update = {**form(ANNEX_A, [family[0], family[2]]), "declared_on": "2026-04-01", "version": 1}
    del update["annex_code"], update["address"]
    with transaction(world) as session:
        service.update_declaration(
            session=session, actor=AGENT_A, number=number, data=DeclarationUpdateIn(**update), today=TODAY
        )
    # ... and is declared alone elsewhere a month later: the register's own record of the split.
    moved = _declare(world, AGENT_A, _alone("1100000002", ANNEX_A, "Douar Ouled Ali", "2026-05-02"))
    # An adult son, never declared with his family, declares himself alone at its dwelling: the
    # same address, written otherwise, and the family's name.
    same_door = _declare(world, AGENT_A, _alone("1100000004", ANNEX_A, "n 4 rue al massira, hay salam", "2026-05-20"))
    # A widow living alone across the annex, with no tie to anyone: not a split.
    _declare(world, AGENT_A, _alone("1100000005", ANNEX_A, "N° 90, Rue Oued Sebou", "2026-05-21"))

    with transaction(world) as session:
        report = household_splitting(session, PROVINCE)
    rows = {row["household_id"]: row for row in report.splits.iter_rows(named=True)}
    origin = int(number[2:])
    assert set(rows) == {int(moved[2:]), int(same_door[2:])}
    recorded = rows[int(moved[2:])]
    assert recorded["origin_household_id"] == origin and recorded["moved"] and not recorded["same_dwelling"]
    assert recorded["left_on"] == date(2026, 4, 1) and recorded["days_after_origin"] == 62
    at_door = rows[int(same_door[2:])]
    assert at_door["origin_household_id"] == origin and at_door["same_dwelling"] and at_door["family_tie"]
    assert not at_door["moved"] and at_door["left_on"] is None
    # One cluster: the family and its two split-offs, in the order things happened.
    assert report.clusters.height == 1
    timeline = [(e["day"], e["event"]) for e in report.clusters.row(0, named=True)["timeline"]]
    assert timeline == [
        (date(2026, 3, 1), "origin_declared"),
        (date(2026, 4, 1), "member_left"),
        (date(2026, 5, 2), "split_off_declared"),
        (date(2026, 5, 20), "split_off_declared"),
    ]
    # Too few households to test the annex against others: listed, not flagged.
    assert not report.by_annex["flagged"].any()
    with transaction(world) as session:
        # The same window, counted from the origin: one month after it, neither is a split.
        assert household_splitting(session, PROVINCE, months=1).splits.is_empty()
        # An agent of the next annex sees none of it; a territory outside the reader's scope is not found.
        assert household_splitting(session, AGENT_B).empty
        with pytest.raises(NotFoundError):
            household_splitting(session, AGENT_B, code=ANNEX_A)


def test_no_household_is_an_empty_report(world: sessionmaker[Session]) -> None:
    with transaction(world) as session:
        report = household_splitting(session, PROVINCE)
    assert report.empty and report.clusters.is_empty() and report.by_annex.is_empty()
