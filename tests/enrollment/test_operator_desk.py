"""The operator's desk: the files waiting for a decision, one file, and its decision, taken by the
same step as the signed callbacks (one state check, one event, one message, one audit line)."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry
from sijill.access.roles import Role
from sijill.config import OperatorEndpoint
from sijill.db import transaction
from sijill.enrollment import operator_desk
from sijill.enrollment.callbacks import apply_callback
from sijill.enrollment.models import Application, ApplicationEvent, Notification
from sijill.enrollment.notifications import RecordingChannel
from sijill.enrollment.operators import sign
from sijill.enrollment.queries import find_citizen_file
from sijill.enrollment.workflows import shipped_workflows
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from tests.conftest import actor
from tests.enrollment.support import AGENT_A, SIM_SECRET, declare_family, seed, submitted
from tests.web.operator_support import applicant_of, transmitted_files

OPERATOR = actor(Role.PROGRAMME_OPERATOR, None, "operator")
COLLEAGUE = actor(Role.PROGRAMME_OPERATOR, None, "operator_2")
CITIZEN = Actor("online", Role.CITIZEN, None, "test")
CHANNEL = RecordingChannel()


@pytest.fixture
def files(session_factory: sessionmaker[Session], system_actor: Actor) -> dict[str, str]:
    """Two files transmitted ("71" first), one only validated ("73")."""
    with transaction(session_factory) as session:
        seed(session, system_actor)
    made = transmitted_files(session_factory, "71")
    made.update(transmitted_files(session_factory, "72"))
    with transaction(session_factory) as session:
        declare_family(session, system_actor, prefix="73")
    made["73"] = submitted(session_factory, "73")
    return made


def _state(factory: sessionmaker[Session], receipt: str) -> tuple[str, int, int]:
    with factory() as session:
        file = session.execute(select(Application).where(Application.receipt == receipt)).scalar_one()
        events = session.execute(
            select(func.count()).select_from(ApplicationEvent).where(ApplicationEvent.application_id == file.id)
        ).scalar_one()
        messages = session.execute(
            select(func.count()).select_from(Notification).where(Notification.application_id == file.id)
        ).scalar_one()
    return file.status, events, messages


def test_the_desk_lists_transmitted_files_oldest_first_with_the_days_left(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    today = date.today()
    with transaction(session_factory) as session:
        # The first file's deadline has passed: it shows as late.
        session.execute(
            update(Application).where(Application.receipt == files["71"]).values(due_on=today - timedelta(days=2))
        )
    with transaction(session_factory) as session:
        page = operator_desk.list_files(session, OPERATOR, today=today)
        only_asd = operator_desk.list_files(session, OPERATOR, workflow="asd")
    assert [i.receipt for i in page.items] == [files["71"], files["72"]]
    assert page.total == 2
    assert page.items[0].days_left == -2
    assert page.items[1].days_left == shipped_workflows()["amo-tadamon"].operator_days
    assert only_asd.total == 0 and only_asd.items == []


def test_only_operators_use_the_desk_and_unknown_workflows_are_named(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        with pytest.raises(ForbiddenError):
            operator_desk.list_files(session, AGENT_A)
        with pytest.raises(ForbiddenError):
            operator_desk.decide_file(session, AGENT_A, files["71"], outcome="accepted", reference="X", channel=CHANNEL)
        with pytest.raises(SijillError) as unknown:
            operator_desk.list_files(session, OPERATOR, workflow="no-such-flow")
    assert unknown.value.code == "unknown_workflow"


def test_a_file_not_yet_transmitted_is_not_on_the_desk(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session, pytest.raises(NotFoundError):
        operator_desk.show_file(session, OPERATOR, files["73"])
    with transaction(session_factory) as session, pytest.raises(NotFoundError):
        operator_desk.decide_file(
            session, OPERATOR, files["73"], outcome="refused", reason="already_covered", channel=CHANNEL
        )
    assert _state(session_factory, files["73"])[0] == "validated"


def test_a_refusal_is_told_to_the_applicant_with_its_reason_and_kept_with_the_note(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        shown = operator_desk.decide_file(
            session,
            OPERATOR,
            files["71"],
            outcome="refused",
            reason="already_covered",
            note="CNSS: AMO salarié",
            channel=CHANNEL,
        )
    assert (shown.status, shown.operator_reason, shown.open) == ("refused", "already_covered", False)
    assert shown.operator_reason_text is not None and "autre régime" in shown.operator_reason_text.fr
    with session_factory() as session:
        event = session.execute(select(ApplicationEvent).order_by(ApplicationEvent.id.desc()).limit(1)).scalar_one()
        message = session.execute(select(Notification)).scalar_one()
        trace = session.execute(
            select(AuditEntry).where(AuditEntry.action == "application.decide", AuditEntry.entity_id == files["71"])
        ).scalar_one()
    assert (event.to_status, event.by, event.detail) == ("refused", "operator", "already_covered: CNSS: AMO salarié")
    assert "autre régime obligatoire" in message.text_fr and "تم رفض" in message.text_ar
    assert json.loads(trace.details) == {"outcome": "refused", "origin": "desk"}
    with transaction(session_factory) as session:
        status = find_citizen_file(session, CITIZEN, files["71"], applicant_of("71"))
    assert status is not None and status.status == "refused"
    assert [r.fr for r in status.reasons] == [
        "Un membre du ménage est couvert par un autre régime obligatoire d'assurance maladie"
    ]


def test_an_acceptance_keeps_the_operator_s_number(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        operator_desk.decide_file(
            session, OPERATOR, files["72"], outcome="accepted", reference="CNSS0000000042", channel=CHANNEL
        )
    with session_factory() as session:
        file = session.execute(select(Application).where(Application.receipt == files["72"])).scalar_one()
    assert (file.status, file.operator_reference, file.notified_at is not None) == ("accepted", "CNSS0000000042", True)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"outcome": "accepted"}, "reference"),
        ({"outcome": "accepted", "reference": "CNSS 42; DROP"}, "reference"),
        ({"outcome": "refused"}, "reason"),
        ({"outcome": "refused", "reason": "not_a_programme_reason"}, "reason"),
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "refused", "reason": "already_covered", "note": "x" * 301}, "note"),
    ],
)
def test_a_wrong_decision_is_refused_whole_and_changes_nothing(
    session_factory: sessionmaker[Session], files: dict[str, str], fields: dict[str, str], field: str
) -> None:
    before = _state(session_factory, files["71"])
    with session_factory() as session, pytest.raises(SijillError) as refused:
        operator_desk.decide_file(
            session,
            OPERATOR,
            files["71"],
            channel=CHANNEL,
            outcome=fields["outcome"],
            reference=fields.get("reference"),
            reason=fields.get("reason"),
            note=fields.get("note", ""),
        )
    assert (refused.value.status, refused.value.field) == (422, field)
    assert _state(session_factory, files["71"]) == before


def test_a_second_decision_is_refused_with_the_first_named(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        operator_desk.decide_file(session, OPERATOR, files["71"], outcome="accepted", reference="C1", channel=CHANNEL)
    before = _state(session_factory, files["71"])
    with session_factory() as session, pytest.raises(SijillError) as again:
        operator_desk.decide_file(
            session, COLLEAGUE, files["71"], outcome="refused", reason="already_covered", channel=CHANNEL
        )
    assert (again.value.status, again.value.code) == (409, "application_already_decided")
    assert "déjà tranché" in again.value.message.fr and "Demande acceptée" in again.value.message.fr
    assert _state(session_factory, files["71"]) == before


def test_a_callback_after_the_desk_s_decision_finds_the_file_decided(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        operator_desk.decide_file(session, OPERATOR, files["71"], outcome="accepted", reference="C1", channel=CHANNEL)
    body = json.dumps(
        {"message_id": "m1", "file_id": f"{files['71']}/1", "outcome": "refused", "reason": "already_covered"}
    ).encode()
    endpoints = {"cnss": OperatorEndpoint(url="http://simulator.test", secret=SIM_SECRET)}
    with transaction(session_factory) as session:
        result = apply_callback(session, endpoints, "cnss", body, sign(SIM_SECRET, body), source="t", channel=CHANNEL)
    assert result.result == "invalid_transition"
    assert _state(session_factory, files["71"])[0] == "accepted"


def test_two_operators_deciding_one_file_at_once_only_one_wins(
    session_factory: sessionmaker[Session], files: dict[str, str], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite takes one writer at a time")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(operator: Actor, outcome: str) -> None:
        barrier.wait()
        try:
            with transaction(session_factory) as session:
                operator_desk.decide_file(
                    session,
                    operator,
                    files["71"],
                    outcome=outcome,
                    reference="C9",
                    reason="already_covered",
                    channel=CHANNEL,
                )
            outcomes.append("decided")
        except SijillError as exc:
            outcomes.append(exc.code)

    threads = [
        threading.Thread(target=run, args=(OPERATOR, "accepted")),
        threading.Thread(target=run, args=(COLLEAGUE, "refused")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["application_already_decided", "decided"]
    with session_factory() as session:
        decided = session.execute(
            select(func.count())
            .select_from(ApplicationEvent)
            .where(ApplicationEvent.to_status.in_(("accepted", "refused")))
        ).scalar_one()
        messages = session.execute(select(func.count()).select_from(Notification)).scalar_one()
    assert (decided, messages) == (1, 1)
