"""Score volatility: the swings of households' indexes between declarations, and oscillation
around a programme's threshold."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.errors import NotFoundError, Text
from sijill.quality.score_swings import household_score_swings, score_swings
from sijill.scoring.thresholds import Threshold
from sijill.social_registry import service
from sijill.social_registry.models import Declaration, IndexScore
from sijill.social_registry.schemas import DeclarationUpdateIn, HouseholdIn
from tests.conftest import actor
from tests.factories import ANNEX_A, seed_territory
from tests.social_registry.support import add_person, form, member

LIMIT = Threshold("amo-tadamon", "test", 10.0, Text("عتبة", "seuil", "threshold"))
TODAY = date(2026, 6, 1)
AGENT_A = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a")
PROVINCE = actor(Role.SUPERVISOR_PROVINCE, "03.02", "province")


def _history(scores: list[float], household: int = 1) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "household_id": [household] * len(scores),
            "annex_code": [ANNEX_A] * len(scores),
            "number": list(range(1, len(scores) + 1)),
            "declared_on": [date(2024, 1, 1) + timedelta(days=30 * i) for i in range(len(scores))],
            "score": scores,
        }
    )


def test_in_out_and_in_again_is_oscillating_a_single_crossing_is_not() -> None:
    frame = pl.concat([_history([9.5, 10.5, 9.8], 1), _history([9.0, 10.4, 10.6], 2), _history([9.0], 3)])
    swings = {row["household_id"]: row for row in score_swings(frame, (LIMIT,)).iter_rows(named=True)}
    assert set(swings) == {1, 2}  # one score: nothing to compare
    assert swings[1]["crossings"] == 2 and swings[1]["oscillating"] and swings[1]["programme"] == "amo-tadamon"
    assert swings[1]["mean_absolute_change"] == pytest.approx((1.0 + 0.7) / 2)
    assert swings[2]["crossings"] == 1 and not swings[2]["oscillating"]
    assert [h["score"] for h in swings[1]["history"]] == [9.5, 10.5, 9.8]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(5.0, 15.0, allow_nan=False), min_size=2, max_size=12))
def test_a_monotone_index_never_oscillates_and_crossings_count_the_side_changes(scores: list[float]) -> None:
    ordered = sorted(scores)
    assert not score_swings(_history(ordered), (LIMIT,))["oscillating"].any()
    row = score_swings(_history(scores), (LIMIT,)).row(0, named=True)
    sides = [s <= LIMIT.at_most for s in scores]
    assert row["crossings"] == sum(a != b for a, b in itertools.pairwise(sides))
    assert row["oscillating"] == (row["crossings"] >= 2)


@pytest.fixture
def world(session_factory: sessionmaker[Session], system_actor: Actor) -> sessionmaker[Session]:
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        add_person(session, "1100000001", ANNEX_A, sex="M", born=date(1975, 2, 3))
        add_person(session, "1100000002", ANNEX_A, born=date(1979, 8, 9))
    return session_factory


def test_the_registry_households_index_history_is_read_in_declaration_order(world: sessionmaker[Session]) -> None:
    family = [member("1100000001", "head"), member("1100000002", "spouse", occupation="homemaker")]
    with transaction(world) as session:
        number = service.declare_household(
            session=session, actor=AGENT_A, data=HouseholdIn(**form(ANNEX_A, family)), today=TODAY
        ).number
    for version, spend in ((1, 400), (2, 60)):
        update: dict[str, Any] = {
            **form(ANNEX_A, family, spend_electricity=spend, car=spend > 100),
            "declared_on": f"2026-0{3 + version}-01",
            "version": version,
        }
        del update["annex_code"], update["address"]
        with transaction(world) as session:
            service.update_declaration(
                session=session, actor=AGENT_A, number=number, data=DeclarationUpdateIn(**update), today=TODAY
            )
    with transaction(world) as session:
        report = household_score_swings(session, PROVINCE)
        scores = (
            session.execute(
                select(IndexScore.score)
                .join(Declaration, Declaration.id == IndexScore.declaration_id)
                .order_by(Declaration.number)
            )
            .scalars()
            .all()
        )
    row = report.households.row(0, named=True)
    assert row["declarations"] == 3 and [h["score"] for h in row["history"]] == pytest.approx(scores)
    changes = [abs(b - a) for a, b in itertools.pairwise(scores)]
    assert row["mean_absolute_change"] == pytest.approx(sum(changes) / 2, abs=1e-4)
    assert report.by_annex.row(0, named=True)["households"] == 1
    with transaction(world) as session:
        assert household_score_swings(session, actor(Role.SUPERVISOR_PROVINCE, "04.01", "far")).empty
        with pytest.raises(NotFoundError):
            household_score_swings(session, actor(Role.SUPERVISOR_PROVINCE, "04.01", "far"), code=ANNEX_A)
