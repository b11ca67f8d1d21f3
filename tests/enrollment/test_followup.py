"""After transmission: the ageing of files by annex and step, the operator's deadline and the files
past it, the supervisors' daily report, and complaints that send a file through the flow again."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.config import OperatorEndpoint
from sijill.db import transaction
from sijill.enrollment.callbacks import apply_callback
from sijill.enrollment.complaints import decide_complaint, file_complaint, list_complaints
from sijill.enrollment.daily_report import messages_for, send_daily_report
from sijill.enrollment.models import Application, ApplicationVersion, StaffMessage
from sijill.enrollment.notifications import RecordingChannel
from sijill.enrollment.operators import sign
from sijill.enrollment.sla import ageing, overdue, overdue_by_annex
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from tests.conftest import SYSTEM, actor
from tests.enrollment.support import AGENT_A, REVIEWER, SIM_SECRET, declare_family, seed, submitted, transmit_in_process
from tests.factories import ANNEX_A, create_user

NATIONAL = actor(Role.SUPERVISOR_NATIONAL, None, "sup_national")
CITIZEN = Actor("online", Role.CITIZEN, None, "test")
OPERATORS = {"cnss": OperatorEndpoint(url="http://simulator.test", secret=SIM_SECRET)}


@pytest.fixture
def files(session_factory: sessionmaker[Session], system_actor: Actor, tmp_path: Path) -> dict[str, str]:
    """At annex A: two files transmitted, one validated, one waiting, one to correct."""
    with transaction(session_factory) as session:
        seed(session, system_actor)
        for prefix in ("71", "72", "73", "74", "75"):
            declare_family(session, system_actor, prefix=prefix)
    made = {"sent": submitted(session_factory, "71"), "sent_2": submitted(session_factory, "72")}
    assert transmit_in_process(session_factory, tmp_path / "sim.db") == 2
    made["validated"] = submitted(session_factory, "73")
    made["waiting"] = submitted(session_factory, "74", validated=False)
    made["to_correct"] = submitted(session_factory, "75", validated=False, address="ailleurs")
    return made


def _decide(factory: sessionmaker[Session], receipt: str, outcome: str, **fields: str) -> str:
    body = json.dumps(
        {"message_id": f"{receipt}-{outcome}", "file_id": f"{receipt}/1", "outcome": outcome, **fields}
    ).encode()
    with transaction(factory) as session:
        return apply_callback(
            session, OPERATORS, "cnss", body, sign(SIM_SECRET, body), source="test", channel=RecordingChannel()
        ).result


def test_ageing_counts_open_files_by_step_and_age(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with transaction(session_factory) as session:
        session.execute(
            update(Application)
            .where(Application.receipt == files["waiting"])
            .values(received_at=datetime.now(UTC) - timedelta(days=3))
        )
    with transaction(session_factory) as session:
        rows = {(r.annex_code, r.step): r for r in ageing(session, NATIONAL)}
    assert {k: r.files for k, r in rows.items()} == {
        (ANNEX_A, "intake"): 2,
        (ANNEX_A, "validated"): 1,
        (ANNEX_A, "transmitted"): 2,
    }
    intake = rows[(ANNEX_A, "intake")]
    assert (intake.up_to_1_day, intake.up_to_7_days, intake.over_30_days) == (1, 1, 0)
    # Decided and told: no longer waiting anywhere.
    assert _decide(session_factory, files["sent"], "accepted", reference="CNSS0000000001") == "applied"
    with transaction(session_factory) as session:
        after = {(r.annex_code, r.step): r.files for r in ageing(session, NATIONAL)}
    assert after[(ANNEX_A, "transmitted")] == 1 and (ANNEX_A, "decided") not in after


def test_the_operator_deadline_and_the_files_past_it(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    with session_factory() as session:
        sent = session.execute(select(Application).where(Application.receipt == files["sent"])).scalar_one()
    assert sent.transmitted_at is not None and sent.due_on == sent.transmitted_at.date() + timedelta(days=30)
    with transaction(session_factory) as session:
        assert overdue(session, NATIONAL) == []
        late = overdue(session, NATIONAL, today=sent.due_on + timedelta(days=3))
        outside = overdue(session, actor(Role.SUPERVISOR_PROVINCE, "04.04"), today=sent.due_on + timedelta(days=3))
    assert [(r.receipt, r.days_late) for r in late] == [(files["sent"], 3), (files["sent_2"], 3)]
    with transaction(session_factory) as session:
        counts = overdue_by_annex(session, NATIONAL, today=sent.due_on + timedelta(days=3))
        not_yet = overdue_by_annex(session, NATIONAL, today=sent.due_on)
    assert (counts, not_yet) == ({ANNEX_A: 2}, {})
    assert outside == []


def test_the_daily_report_reaches_each_supervisor_once_a_day(
    session_factory: sessionmaker[Session], files: dict[str, str], system_actor: Actor
) -> None:
    with transaction(session_factory) as session:
        create_user(session, system_actor, "sup_province", Role.SUPERVISOR_PROVINCE, "03.02")
        create_user(session, system_actor, "sup_other", Role.SUPERVISOR_PROVINCE, "04.04")
        session.execute(
            update(Application)
            .where(Application.status.in_(["awaiting_validation", "to_correct"]))
            .values(received_at=datetime.now(UTC) - timedelta(days=2))
        )
    with transaction(session_factory) as session:
        assert send_daily_report(session, SYSTEM) == 1
    with transaction(session_factory) as session:
        assert send_daily_report(session, SYSTEM) == 0  # already sent today
        inbox = messages_for(session, actor(Role.SUPERVISOR_PROVINCE, "03.02", "sup_province"))
        assert messages_for(session, actor(Role.SUPERVISOR_PROVINCE, "04.04", "sup_other")) == []
    assert len(inbox) == 1 and inbox[0].subject == f"daily-report {date.today().isoformat()}"
    assert f"{ANNEX_A} : 2 dossiers en attente" in inbox[0].body_fr and "0 en retard" in inbox[0].body_fr
    with transaction(session_factory) as session, pytest.raises(ForbiddenError):
        send_daily_report(session, NATIONAL)


def test_an_upheld_complaint_sends_a_refused_file_through_the_flow_again(
    session_factory: sessionmaker[Session], files: dict[str, str]
) -> None:
    assert _decide(session_factory, files["sent"], "refused", reason="already_covered") == "applied"
    with transaction(session_factory) as session:
        filed = file_complaint(
            session,
            CITIZEN,
            kind="exclusion",
            description="Je n'ai aucune autre couverture.",
            receipt=files["sent"],
            applicant_idcs="7100000001",
        )
    assert filed.status == "open" and filed.due_on == date.today() + timedelta(days=30)
    with transaction(session_factory) as session:
        assert [c.number for c in list_complaints(session, REVIEWER, status="open")] == [filed.number]
        decided = decide_complaint(
            session, REVIEWER, filed.number, upheld=True, outcome="Couverture CNOPS close en 2025"
        )
    # Back through the flow: a new version, checked again, waiting at the annex.
    assert (decided.status, decided.file_status) == ("upheld", "awaiting_validation")
    with session_factory() as session:
        file = session.execute(select(Application).where(Application.receipt == files["sent"])).scalar_one()
        versions = (
            session.execute(select(ApplicationVersion.number).where(ApplicationVersion.application_id == file.id))
            .scalars()
            .all()
        )
    assert sorted(versions) == [1, 2] and file.operator_reason is None and file.due_on is None
    with transaction(session_factory) as session, pytest.raises(SijillError) as twice:
        decide_complaint(session, REVIEWER, filed.number, upheld=False, outcome="non")
    assert twice.value.code == "complaint_decided"


def test_complaints_refuse_what_they_must(session_factory: sessionmaker[Session], files: dict[str, str]) -> None:
    with transaction(session_factory) as session:
        with pytest.raises(NotFoundError):
            file_complaint(
                session, CITIZEN, kind="exclusion", description="x", receipt=files["sent"], applicant_idcs="7200000001"
            )
        with pytest.raises(SijillError) as neither:
            file_complaint(session, AGENT_A, kind="data_error", description="erreur")
        with pytest.raises(SijillError) as empty:
            file_complaint(session, AGENT_A, kind="data_error", description="   ", receipt=files["sent"])
        mine = file_complaint(
            session, AGENT_A, kind="data_error", description="Adresse mal saisie", receipt=files["to_correct"]
        )
        with pytest.raises(ForbiddenError):
            decide_complaint(session, AGENT_A, mine.number, upheld=True, outcome="ok")
        with pytest.raises(NotFoundError):
            decide_complaint(session, actor(Role.REVIEWER, "04.04", "other"), mine.number, upheld=True, outcome="ok")
    assert neither.value.field == "receipt" and empty.value.field == "description"
    with session_factory() as session:
        assert session.execute(select(StaffMessage)).all() == []
