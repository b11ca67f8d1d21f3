"""Intake and cross-check: a receipt for every form before any check, the reasons a file goes
back with, corrections as new versions, duplicates answered with the first receipt."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.enrollment.models import Application, ApplicationEvent, ApplicationVersion
from sijill.enrollment.queries import read_application
from sijill.enrollment.receipts import receipt_well_formed
from sijill.enrollment.service import check_received, correct, receive, withdraw
from sijill.errors import ForbiddenError, NotFoundError, SijillError
from tests.conftest import actor
from tests.enrollment.support import AGENT_A, application_form, declare_family, seed
from tests.factories import ANNEX_A, ANNEX_B

DAY = date(2026, 6, 1)


@pytest.fixture
def family(session_factory: sessionmaker[Session], system_actor: Actor) -> sessionmaker[Session]:
    with transaction(session_factory) as session:
        seed(session, system_actor)
        declare_family(session, system_actor)
    return session_factory


def _submit(
    factory: sessionmaker[Session],
    form: dict[str, object],
    *,
    by: Actor = AGENT_A,
    key: str | None = None,
    workflow: str = "amo-tadamon",
    channel: str = "annex",
) -> str:
    with transaction(factory) as session:
        received = receive(session, by, workflow=workflow, form=form, channel=channel, idempotency_key=key)
    with transaction(factory) as session:
        check_received(session, by, [received.application_id], day=DAY)
    return received.receipt


def _file(factory: sessionmaker[Session], receipt: str) -> Application:
    with factory() as session:
        return session.execute(select(Application).where(Application.receipt == receipt)).scalar_one()


def _codes(factory: sessionmaker[Session], receipt: str) -> list[str]:
    return _file(factory, receipt).reasons.split(",") if _file(factory, receipt).reasons else []


def test_a_consistent_form_gets_a_receipt_then_waits_for_validation(family: sessionmaker[Session]) -> None:
    with transaction(family) as session:
        received = receive(session, AGENT_A, workflow="amo-tadamon", form=application_form(), channel="annex")
    assert receipt_well_formed(received.receipt) and received.receipt.startswith("AT26-")
    assert not received.duplicate
    # Counted before any check has run.
    assert _file(family, received.receipt).status == "received"
    with transaction(family) as session:
        assert check_received(session, AGENT_A, day=DAY) == 1
    file = _file(family, received.receipt)
    assert (file.status, file.reasons, file.annex_code) == ("awaiting_validation", "", ANNEX_A)
    assert file.person_id is not None and file.household_id is not None
    with family() as session:
        steps = session.execute(
            select(ApplicationEvent.from_status, ApplicationEvent.to_status).order_by(ApplicationEvent.id)
        ).all()
        actions = set(session.execute(select(AuditEntry.action)).scalars())
    assert steps == [(None, "received"), ("received", "awaiting_validation")]
    assert {"application.receive", "application.check"} <= actions


def test_an_unknown_idcs_is_received_then_returned_with_its_reason(family: sessionmaker[Session]) -> None:
    receipt = _submit(family, application_form(applicant_idcs="9999999999"))
    assert _codes(family, receipt) == ["person_unknown"]
    with transaction(family) as session:
        shown = read_application(session, AGENT_A, receipt)
    assert shown.status == "to_correct" and shown.applicant_idcs == "9999999999"
    reason = shown.reasons[0]
    assert (reason.field, reason.value) == ("applicant_idcs", "9999999999")
    assert "Registre national" in reason.text.fr and reason.text.ar and reason.fix is not None


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, "applicant_idcs"),
        ({"applicant_idcs": "12"}, "applicant_idcs"),
        ({"applicant_idcs": "7100000001", "members": "all of us"}, "members"),
        ({"applicant_idcs": "7100000001", "colour": "blue"}, "colour"),
    ],
)
def test_a_form_that_cannot_be_read_still_has_its_receipt(
    family: sessionmaker[Session], form: dict[str, object], field: str
) -> None:
    receipt = _submit(family, form)
    file = _file(family, receipt)
    assert file.status == "to_correct" and file.reasons == "form_invalid"
    with family() as session:
        findings = session.execute(select(ApplicationVersion.findings)).scalar_one()
    assert findings is not None and field in {f["field"] for f in findings}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"members": [{"idcs": "7100000002", "relationship": "spouse"}]}, ["members_differ"]),
        ({"address": "Douar Ouled Ali"}, ["address_differs"]),
        ({"phone": "0661000000"}, ["phone_differs"]),
        ({"phone": "12"}, ["form_invalid"]),
        (
            {"members": [{"idcs": "7100000002"}, {"idcs": "7100000003"}, {"idcs": "7199999999"}]},
            # The unknown member is the reason to act on; the others match the household.
            ["member_unknown"],
        ),
    ],
)
def test_what_differs_from_the_latest_declaration_sends_the_file_back(
    family: sessionmaker[Session], changes: dict[str, Any], expected: list[str]
) -> None:
    assert _codes(family, _submit(family, application_form(**changes))) == expected


def test_the_programme_rule_decides_the_index_and_the_exclusions(
    session_factory: sessionmaker[Session], system_actor: Actor
) -> None:
    with transaction(session_factory) as session:
        seed(session, system_actor)
        declare_family(session, system_actor, index=9.5)
    receipt = _submit(session_factory, application_form())
    assert _codes(session_factory, receipt) == ["index_above_threshold"]
    with transaction(session_factory) as session:
        reason = read_application(session, AGENT_A, receipt).reasons[0]
    assert "9,3264284" in reason.text.fr


def test_a_household_in_another_annex_or_none_at_all(family: sessionmaker[Session], system_actor: Actor) -> None:
    agent_b = actor(Role.ANNEX_AGENT, ANNEX_B, "agent_b")
    assert _codes(family, _submit(family, application_form(), by=agent_b)) == ["household_other_annex"]
    with transaction(family) as session:
        from tests.social_registry.support import add_person

        add_person(session, "7200000001", ANNEX_A)
    lonely = _submit(family, application_form(applicant_idcs="7200000001", members=[]))
    assert _codes(family, lonely) == ["household_missing"]


def test_a_correction_is_a_new_version_checked_again(family: sessionmaker[Session]) -> None:
    receipt = _submit(family, application_form(address="Douar Ouled Ali"))
    with transaction(family) as session:
        corrected = correct(session, AGENT_A, receipt, application_form())
    assert (corrected.status, corrected.current_version, corrected.reasons) == ("awaiting_validation", 2, "")
    with family() as session:
        versions = session.execute(
            select(ApplicationVersion.number, ApplicationVersion.form["address"].as_string()).order_by(
                ApplicationVersion.number
            )
        ).all()
    # The first version stays exactly as sent.
    assert versions == [(1, "Douar Ouled Ali"), (2, "n 4 rue al massira hay salam")]
    with transaction(family) as session, pytest.raises(NotFoundError):
        correct(session, actor(Role.ANNEX_AGENT, ANNEX_B, "agent_b"), receipt, application_form())


def test_the_same_form_twice_answers_with_the_first_receipt(family: sessionmaker[Session]) -> None:
    first = _submit(family, application_form())
    assert _submit(family, application_form()) == first
    keyed = _submit(family, application_form(address="N 4 Rue Al Massira"), key="k-1")
    assert _submit(family, application_form(address="N 4 Rue Al Massira"), key="k-1") == keyed
    with transaction(family) as session, pytest.raises(SijillError) as reused:
        receive(
            session,
            AGENT_A,
            workflow="amo-tadamon",
            form=application_form(phone=None),
            channel="annex",
            idempotency_key="k-1",
        )
    assert reused.value.code == "idempotency_key_reused" and reused.value.status == 409
    with family() as session:
        assert session.execute(select(func.count()).select_from(Application)).scalar_one() == 2
    # Once the file is closed, the same form is a new application.
    with transaction(family) as session:
        withdraw(session, AGENT_A, first, "doublon du dossier papier")
    assert _submit(family, application_form()) != first


def test_bad_workflows_sizes_and_roles_are_refused_without_a_file(family: sessionmaker[Session]) -> None:
    with transaction(family) as session:
        with pytest.raises(SijillError) as unknown:
            receive(session, AGENT_A, workflow="ramed", form=application_form(), channel="annex")
        with pytest.raises(SijillError) as large:
            receive(session, AGENT_A, workflow="amo-tadamon", form={"x": "a" * 70_000}, channel="annex")
        with pytest.raises(ForbiddenError):
            receive(session, actor(Role.POLICY_ANALYST, None), workflow="asd", form={}, channel="annex")
    assert unknown.value.code == "unknown_workflow" and unknown.value.fix is not None
    assert "amo-tadamon" in unknown.value.fix.fr
    assert large.value.status == 413
    with family() as session:
        assert session.execute(select(func.count()).select_from(Application)).scalar_one() == 0


def test_online_forms_go_to_the_household_s_annex(family: sessionmaker[Session]) -> None:
    citizen = Actor("online", Role.CITIZEN, None, "test")
    receipt = _submit(family, application_form(annex_code="99.99"), by=citizen, channel="online")
    file = _file(family, receipt)
    assert (file.status, file.annex_code, file.channel) == ("awaiting_validation", ANNEX_A, "online")


def test_asd_and_daam_run_on_the_same_engine(family: sessionmaker[Session]) -> None:
    asd = _submit(family, application_form(), workflow="asd")
    assert asd.startswith("SD") and _codes(family, asd) == []
    by_spouse = application_form(
        applicant_idcs="7100000002",
        members=[{"idcs": "7100000001"}, {"idcs": "7100000003"}],
        phone=None,
    )
    assert _codes(family, _submit(family, by_spouse, workflow="asd")) == ["applicant_not_head"]
    daam = _submit(family, application_form(), workflow="daam")
    assert daam.startswith("DM") and "not_a_widow" in _codes(family, daam)


def test_two_identical_submissions_at_once_make_one_file(family: sessionmaker[Session], backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite takes one writer at a time")
    receipts: list[str] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        barrier.wait()
        with transaction(family) as session:
            receipts.append(
                receive(
                    session,
                    AGENT_A,
                    workflow="amo-tadamon",
                    form=application_form(),
                    channel="annex",
                    idempotency_key="same",
                ).receipt
            )

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(receipts) == 4 and len(set(receipts)) == 1
    with family() as session:
        assert session.execute(select(func.count()).select_from(Application)).scalar_one() == 1


def test_the_check_job_commits_batch_by_batch(
    family: sessionmaker[Session], system_actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sijill.enrollment.service as service

    for n in range(3):
        with transaction(family) as session:
            receive(session, AGENT_A, workflow="amo-tadamon", form=application_form(note=str(n)), channel="annex")
    monkeypatch.setattr(service, "CHECK_BATCH", 2)
    assert service.check_all(family, system_actor) == 3
    with family() as session:
        checked = session.execute(select(Application.status, func.count()).group_by(Application.status)).all()
        batches = session.execute(select(func.count()).where(ApplicationEvent.from_status == "received")).scalar_one()
    # Each form has a field the form does not know: all three go back to the agent.
    assert checked == [("to_correct", 3)] and batches == 3


def test_a_receipt_number_already_taken_is_drawn_again(
    family: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sijill.enrollment.receipts as receipts

    first = _submit(family, application_form())
    draws = iter([first, first, "AT26-12345678-0"])
    monkeypatch.setattr(receipts, "new_receipt", lambda prefix, day: next(draws))
    second = _submit(family, application_form(address="N 4 Rue Al Massira"))
    assert second == "AT26-12345678-0"
    with family() as session:
        assert session.execute(select(func.count()).select_from(Application)).scalar_one() == 2


def test_a_workflow_without_annex_validation_sends_checked_files_on(
    family: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    import sijill.enrollment.service as service
    from sijill.enrollment.workflows import shipped_workflows

    flows = dict(shipped_workflows())
    flows["amo-tadamon"] = dataclasses.replace(flows["amo-tadamon"], annex_validation=False)
    monkeypatch.setattr(service, "shipped_workflows", lambda: flows)
    clean = _file(family, _submit(family, application_form()))
    assert (clean.status, clean.validated_by) == ("validated", "agent_a") and clean.validated_at is not None
    # Findings still send a file back to the agent.
    assert _file(family, _submit(family, application_form(address="ailleurs"))).status == "to_correct"


def test_a_workflow_file_with_a_bad_step_flag_names_its_line(tmp_path: Path) -> None:
    from sijill.enrollment.workflows import load_workflows
    from sijill.rules_files import RuleFileError, rules_dir

    text = (rules_dir() / "workflows" / "asd.yaml").read_text(encoding="utf-8") + "annex_validation: sometimes\n"
    broken = tmp_path / "asd.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_workflows([broken])
    assert f"asd.yaml:{len(text.splitlines())}" in caught.value.message.fr
    unknown = tmp_path / "other.yaml"
    unknown.write_text(text.replace("annex_validation: sometimes", "checks_extra: [x]"), encoding="utf-8")
    with pytest.raises(RuleFileError) as extra:
        load_workflows([unknown])
    assert "checks_extra" in extra.value.message.fr
