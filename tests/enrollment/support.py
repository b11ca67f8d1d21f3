"""A declared family and its application forms, for enrollment tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.cnss_sim.app import create_sim_app
from sijill.cnss_sim.worker import SimConfig
from sijill.config import OperatorEndpoint
from sijill.db import transaction
from sijill.enrollment.operators import HttpOperatorClient
from sijill.enrollment.service import check_received, receive, validate
from sijill.enrollment.transmit import queue_batches, send_due
from sijill.social_registry.models import Household
from sijill.social_registry.schemas import CorrectionIn, HouseholdIn
from sijill.social_registry.service import correct_score, declare_household
from tests.conftest import SYSTEM, actor
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


SIM_SECRET = "simulator-test-secret-0123"


def transmit_in_process(factory: sessionmaker[Session], store: Path) -> int:
    """Queue the validated files and send them to the simulator's application, run in-process;
    returns the files transmitted. (The simulator's clerk runs too, but its callbacks go nowhere.)"""
    endpoint = OperatorEndpoint(url="http://simulator.test", secret=SIM_SECRET)
    with transaction(factory) as session:
        queue_batches(session, SYSTEM, "cnss")
    simulator = create_sim_app(store, SimConfig(callback_url="http://127.0.0.1:9/unused", secret=SIM_SECRET))
    with TestClient(simulator) as http:
        return send_due(factory, SYSTEM, {"cnss": HttpOperatorClient(endpoint, http=http)}).files


def submitted(factory: sessionmaker[Session], prefix: str, *, validated: bool = True, **changes: Any) -> str:
    """One AMO Tadamon file of the family ``prefix`` at annex A, checked (and validated)."""
    with transaction(factory) as session:
        received = receive(
            session, AGENT_A, workflow="amo-tadamon", form=application_form(prefix, **changes), channel="annex"
        )
        check_received(session, AGENT_A, [received.application_id])
    if validated:
        with transaction(factory) as session:
            validate(session, AGENT_A, [received.receipt])
    return received.receipt
