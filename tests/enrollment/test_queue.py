"""The annex queue: validation one by one or in bulk, only within the agent's annex and only once;
the supervisors' report of files waiting too long; the citizen's view of one file."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.enrollment.models import Application, ApplicationEvent
from sijill.enrollment.queries import citizen_status, list_applications, waiting_report
from sijill.enrollment.service import check_received, receive, validate, withdraw
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from tests.conftest import actor
from tests.enrollment.support import AGENT_A, application_form, declare_family, seed
from tests.factories import ANNEX_A, ANNEX_B

DAY = date(2026, 6, 1)
AGENT_B = actor(Role.ANNEX_AGENT, ANNEX_B, "agent_b")
CITIZEN = Actor("online", Role.CITIZEN, None, "test")


@pytest.fixture
def files(session_factory: sessionmaker[Session], system_actor: Actor) -> dict[str, str]:
    """Three families of annex A: one file waiting, one to correct; one family of annex B waiting."""
    with transaction(session_factory) as session:
        seed(session, system_actor)
        for prefix in ("71", "72", "73"):
            declare_family(session, system_actor, prefix=prefix)
        declare_family(session, system_actor, prefix="74", annex=ANNEX_B)
    made = {}
    for name, prefix, by, changes in (
        ("waiting", "71", AGENT_A, {}),
        ("to_correct", "72", AGENT_A, {"address": "ailleurs"}),
        ("waiting_2", "73", AGENT_A, {}),
        ("other_annex", "74", AGENT_B, {}),
    ):
        with transaction(session_factory) as session:
            received = receive(
                session, by, workflow="amo-tadamon", form=application_form(prefix, **changes), channel="annex"
            )
            check_received(session, by, [received.application_id], day=DAY)
        made[name] = received.receipt
    return made


def _status(factory: sessionmaker[Session], receipt: str) -> str:
    with factory() as session:
        return session.execute(select(Application.status).where(Application.receipt == receipt)).scalar_one()


def test_the_queue_shows_the_annex_s_files_oldest_first(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        queue = list_applications(session, AGENT_A, status="awaiting_validation")
        to_correct = list_applications(session, AGENT_A, status="to_correct")
        province = list_applications(session, actor(Role.SUPERVISOR_PROVINCE, "03.02"), annex_code=ANNEX_B)
    assert [i.receipt for i in queue.items] == [files["waiting"], files["waiting_2"]] and queue.total == 2
    assert [(i.receipt, i.reasons) for i in to_correct.items] == [(files["to_correct"], ["address_differs"])]
    assert [i.receipt for i in province.items] == [files["other_annex"]]
    with transaction(session_factory) as session, pytest.raises(SijillError) as bad:
        list_applications(session, AGENT_A, annex_code="03%")
    assert bad.value.field == "annex_code"


def test_bulk_validation_moves_only_waiting_files_of_the_agent_s_annex(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    wanted = [files["waiting"], files["to_correct"], files["other_annex"], "AT26-00000000-0", files["waiting_2"]]
    with transaction(session_factory) as session:
        outcomes = validate(session, AGENT_A, wanted)
    assert [(o.receipt, o.done, o.status) for o in outcomes] == [
        (files["waiting"], True, "validated"),
        (files["to_correct"], False, "to_correct"),
        # Another annex's file and an unknown receipt look alike: nothing about it leaks.
        (files["other_annex"], False, None),
        ("AT26-00000000-0", False, None),
        (files["waiting_2"], True, "validated"),
    ]
    assert _status(session_factory, files["other_annex"]) == "awaiting_validation"
    with transaction(session_factory) as session:
        again = validate(session, AGENT_A, [files["waiting"]])
    assert (again[0].done, again[0].status) == (False, "validated")
    with session_factory() as session:
        validations = (
            session.execute(select(ApplicationEvent.by).where(ApplicationEvent.to_status == "validated"))
            .scalars()
            .all()
        )
    assert validations == ["agent_a", "agent_a"]
    with transaction(session_factory) as session:
        with pytest.raises(ForbiddenError):
            validate(session, actor(Role.SUPERVISOR_PROVINCE, "03.02"), [files["waiting"]])
        with pytest.raises(SijillError):
            validate(session, AGENT_A, [])


def test_two_agents_validating_the_same_file_move_it_once(
    session_factory: sessionmaker[Session], files: dict[str, str], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite takes one writer at a time")
    colleague = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a2")
    barrier = threading.Barrier(2)
    done: list[bool] = []

    def run(agent: Actor) -> None:
        barrier.wait()
        with transaction(session_factory) as session:
            done.append(validate(session, agent, [files["waiting"]])[0].done)

    threads = [threading.Thread(target=run, args=(a,)) for a in (AGENT_A, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(done) == [False, True]
    with session_factory() as session:
        count = session.execute(select(ApplicationEvent).where(ApplicationEvent.to_status == "validated")).all()
    assert len(count) == 1


def test_the_daily_report_names_files_waiting_too_long(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        # Two days ago: longer than the one day AMO Tadamon allows at the annex.
        session.execute(
            update(Application)
            .where(Application.receipt.in_([files["waiting"], files["other_annex"]]))
            .values(received_at=datetime.now(UTC) - timedelta(days=2))
        )
    with transaction(session_factory) as session:
        national = waiting_report(session, actor(Role.SUPERVISOR_NATIONAL, None))
        for_b = waiting_report(session, AGENT_B)
    assert [(r.annex_code, r.workflow, r.status, r.files) for r in national] == [
        (ANNEX_A, "amo-tadamon", "awaiting_validation", 1),
        (ANNEX_B, "amo-tadamon", "awaiting_validation", 1),
    ]
    assert [r.annex_code for r in for_b] == [ANNEX_B]


def test_the_citizen_sees_one_file_with_receipt_and_idcs_together(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        shown = citizen_status(session, CITIZEN, files["to_correct"], "7200000001")
    assert shown.status == "to_correct" and shown.status_label.fr == "Demande à corriger"
    assert [r.fr for r in shown.reasons] == ["L'adresse diffère de celle déclarée pour le ménage"]
    for receipt, idcs in ((files["to_correct"], "7100000001"), ("AT26-1234", "7200000001"), ("x" * 300, "1")):
        with transaction(session_factory) as session, pytest.raises(NotFoundError):
            citizen_status(session, CITIZEN, receipt, idcs)


def test_a_withdrawn_file_leaves_the_queue_and_cannot_be_validated(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        withdraw(session, AGENT_A, files["waiting"], "la famille renonce")
        with pytest.raises(SijillError) as again:
            withdraw(session, AGENT_A, files["waiting"], "deux fois")
        with pytest.raises(SijillError) as empty:
            withdraw(session, AGENT_A, files["waiting_2"], "  ")
    assert again.value.code == "invalid_transition" and again.value.status == 409
    assert empty.value.field == "reason"
    with transaction(session_factory) as session:
        assert validate(session, AGENT_A, [files["waiting"]])[0].status == "withdrawn"
