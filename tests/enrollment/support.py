"""A declared family and its application forms, for enrollment tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.social_registry.models import Household
from sijill.social_registry.schemas import CorrectionIn, HouseholdIn
from sijill.social_registry.service import correct_score, declare_household
from tests.conftest import actor
from tests.factories import ANNEX_A, seed_territory
from tests.social_registry.support import add_person, form, member

PHONE = "+212612345678"
ADDRESS = "N° 4, Rue Al Massira, Hay Salam"
AGENT_A = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a")
REVIEWER = actor(Role.REVIEWER, "03.02", "reviewer")


def declare_family(
    session: Session, system: Actor, *, index: float = 9.0, prefix: str = "71", annex: str = ANNEX_A
) -> Household:
    """A head, a spouse and a child in ``annex``, the head's phone on record, and the household's
    index corrected to ``index`` (9.0: under both the AMO Tadamon and the ASD thresholds)."""
    head, spouse, child = (f"{prefix}0000000{n}" for n in (1, 2, 3))
    add_person(session, head, annex, sex="M", born=date(1975, 1, 1)).phone = PHONE
    add_person(session, spouse, annex, born=date(1980, 2, 2))
    add_person(session, child, annex, born=date(2015, 3, 3))
    members = [
        member(head, "head"),
        member(spouse, "spouse"),
        member(child, "child", in_school=True, occupation=None, education="primary"),
    ]
    household = declare_household(session=session, actor=system, data=HouseholdIn.model_validate(form(annex, members)))
    correct_score(
        session=session,
        actor=REVIEWER,
        number=household.number,
        data=CorrectionIn(score=index, reason="enquête de terrain du 2 juin"),
    )
    session.flush()
    return household


def seed(session: Session, system: Actor) -> None:
    seed_territory(session, system)


def application_form(prefix: str = "71", **changes: Any) -> dict[str, Any]:
    """The family's AMO Tadamon form as the head fills it in, consistent with the declaration."""
    base: dict[str, Any] = {
        "applicant_idcs": f"{prefix}00000001",
        "members": [
            {"idcs": f"{prefix}00000002", "relationship": "spouse"},
            {"idcs": f"{prefix}00000003", "relationship": "child"},
        ],
        "address": "n 4 rue al massira hay salam",
        "phone": "06 12 34 56 78",
    }
    return {**base, **changes}
