"""A family in the register and the agent's forms for it: the household form's fields as a
browser sends them, and the AMO Tadamon form's."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.roles import Role
from sijill.db import transaction
from sijill.enrollment.models import Application
from sijill.social_registry.models import Declaration, Household
from sijill.social_registry.schemas import HouseholdIn
from sijill.social_registry.service import declare_household
from tests.conftest import actor
from tests.factories import ANNEX_A
from tests.social_registry.support import add_person, form, member, urban_answers

HEAD_PHONE = "+212612345678"
ADDRESS = "N° 4, Rue Al Massira, Hay Salam"

# A modest household: its index falls under the AMO Tadamon threshold (9.3264284), so its form
# passes every check and waits for the agent's validation.
POOR = urban_answers(
    dwelling_type="shanty",
    rooms=1,
    water="public_fountain",
    spend_water=0,
    spend_electricity=30,
    spend_phone=20,
    spend_butane=40,
    fridge=False,
    satellite_dish=False,
)


def family(prefix: str) -> list[str]:
    """The IDCS of the family ``prefix``: head, spouse, child."""
    return [f"{prefix}0000000{n}" for n in (1, 2, 3)]


def add_family(factory: sessionmaker[Session], prefix: str, annex: str = ANNEX_A) -> list[str]:
    """A father (1975), a mother (1980) and a schoolchild (2015) registered at ``annex``."""
    head, spouse, child = family(prefix)
    with transaction(factory) as session:
        add_person(session, head, annex, sex="M", born=date(1975, 1, 1)).phone = HEAD_PHONE
        add_person(session, spouse, annex, born=date(1980, 2, 2))
        add_person(session, child, annex, born=date(2015, 3, 3))
    return [head, spouse, child]


def _members(prefix: str) -> list[dict[str, Any]]:
    head, spouse, child = family(prefix)
    return [
        member(head, "head"),
        member(spouse, "spouse", occupation="homemaker", education="none"),
        member(child, "child", in_school=True, occupation=None),
    ]


def household_fields(prefix: str, annex: str = ANNEX_A, **answers: Any) -> dict[str, str]:
    """The household form of the family as the browser sends it (boxes ticked send "true")."""
    fields: dict[str, str] = {"annex_code": annex, "address": ADDRESS, "rows": "6"}
    for row, person in enumerate(_members(prefix)):
        for name, value in person.items():
            if name == "relationship" and row == 0:
                continue
            if isinstance(value, bool):
                if value:
                    fields[f"members.{row}.{name}"] = "true"
            elif value is not None:
                fields[f"members.{row}.{name}"] = str(value)
    for name, value in {**POOR, **answers}.items():
        if isinstance(value, bool):
            if value:
                fields[f"answers.{name}"] = "true"
        elif value is not None:
            fields[f"answers.{name}"] = str(value)
    return fields


def declared(factory: sessionmaker[Session], prefix: str, annex: str = ANNEX_A) -> str:
    """The family registered and declared at ``annex`` by its agent; returns the household number."""
    add_family(factory, prefix, annex)
    agent = actor(Role.ANNEX_AGENT, annex, "agent")
    data = form(annex, _members(prefix), **{k: v for k, v in POOR.items() if k != "declared_size"})
    data.pop("declared_on")
    with transaction(factory) as session:
        household = declare_household(session=session, actor=agent, data=HouseholdIn.model_validate(data))
        return household.number


def application_fields(prefix: str, **changes: str) -> dict[str, str]:
    head, spouse, child = family(prefix)
    fields = {
        "applicant_idcs": head,
        "members.0.idcs": spouse,
        "members.0.relationship": "spouse",
        "members.1.idcs": child,
        "members.1.relationship": "child",
        "address": ADDRESS,
        "phone": "0612345678",
        "rows": "4",
    }
    return {**fields, **changes}


def count(factory: sessionmaker[Session], table: type[Household] | type[Declaration] | type[Application]) -> int:
    with transaction(factory) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())
