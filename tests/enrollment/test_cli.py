"""`sijill applications ...`: a file from its receipt to validation, and bad input (exit 2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.db import transaction
from tests.enrollment.support import application_form, declare_family, seed
from tests.test_cli import sijill


@pytest.fixture
def cli_db(db_url: str, backend: str, session_factory: sessionmaker[Session], system_actor: Actor) -> str:
    if backend != "sqlite":
        pytest.skip("the command line is exercised once, on SQLite")
    with transaction(session_factory) as session:
        seed(session, system_actor)
        declare_family(session, system_actor)
    return db_url


def test_a_file_from_the_command_line(cli_db: str, tmp_path: Path) -> None:
    form = tmp_path / "form.json"
    form.write_text(json.dumps(application_form(annex_code="03.02.001.01", address="ailleurs")), encoding="utf-8")
    sent = sijill("applications", "submit", str(form), "--key", "paper-0001", db_url=cli_db)
    assert sent.returncode == 0, sent.stderr
    receipt = re.search(r"AT\d{2}-\d{8}-\d", sent.stdout)
    assert receipt is not None and "to_correct" in sent.stdout
    number = receipt.group(0)
    again = sijill("applications", "submit", str(form), "--key", "paper-0001", db_url=cli_db)
    assert number in again.stdout and "already received" in again.stdout
    listed = sijill("applications", "list", "--status", "to_correct", db_url=cli_db)
    assert number in listed.stdout and "address_differs" in listed.stdout
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(application_form(annex_code="03.02.001.01")), encoding="utf-8")
    corrected = sijill("applications", "correct", number, str(fixed), db_url=cli_db)
    assert corrected.returncode == 0 and "version 2: awaiting_validation" in corrected.stdout
    validated = sijill("applications", "validate", number, db_url=cli_db)
    assert f"{number}: validated" in validated.stdout
    shown = json.loads(sijill("applications", "show", number, db_url=cli_db).stdout)
    assert shown["status"] == "validated" and len(shown["versions"]) == 2
    status = json.loads(sijill("applications", "status", number, "--idcs", "7100000001", db_url=cli_db).stdout)
    assert status["status_label"]["fr"] == "Validée, en attente d'envoi"
    waiting = sijill("applications", "waiting", db_url=cli_db)
    assert waiting.returncode == 0 and "waiting too long" in waiting.stdout


def test_bad_input_exits_2_with_a_bilingual_message(cli_db: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    unreadable = sijill("applications", "submit", str(broken), db_url=cli_db)
    assert unreadable.returncode == 2 and "Formulaire illisible" in unreadable.stderr
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    not_object = sijill("applications", "submit", str(listed), db_url=cli_db)
    assert not_object.returncode == 2 and "objet JSON" in not_object.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps(application_form()), encoding="utf-8")
    unknown = sijill("applications", "submit", str(good), "--workflow", "ramed", db_url=cli_db)
    assert unknown.returncode == 2 and "Procédure inconnue" in unknown.stderr
    missing = sijill("applications", "show", "AT26-00000000-0", db_url=cli_db)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    nobody = sijill("applications", "status", "AT26-00000000-0", "--idcs", "7100000001", db_url=cli_db)
    assert nobody.returncode == 2


def test_follow_up_commands(cli_db: str, tmp_path: Path) -> None:
    form = tmp_path / "form.json"
    form.write_text(json.dumps(application_form(annex_code="03.02.001.01", address="ailleurs")), encoding="utf-8")
    sent = sijill("applications", "submit", str(form), db_url=cli_db)
    receipt = re.search(r"AT\d{2}-\d{8}-\d", sent.stdout)
    assert receipt is not None
    ageing = sijill("applications", "ageing", db_url=cli_db)
    assert ageing.returncode == 0 and "intake" in ageing.stdout
    assert "0 overdue" in sijill("applications", "overdue", db_url=cli_db).stdout
    assert "0 supervisors" in sijill("applications", "daily-report", db_url=cli_db).stdout
    filed = sijill(
        "applications",
        "complain",
        "--kind",
        "data_error",
        "--description",
        "adresse",
        "--receipt",
        receipt.group(0),
        db_url=cli_db,
    )
    number = re.search(r"RC\d{2}-\d{8}-\d", filed.stdout)
    assert filed.returncode == 0 and number is not None
    decided = sijill(
        "applications", "decide-complaint", number.group(0), "--outcome", "saisie corrigée", "--upheld", db_url=cli_db
    )
    # The command line acts as the system, which also filed it: someone else must decide.
    assert decided.returncode == 2 and "Celui qui dépose" in decided.stderr
    bad_kind = sijill(
        "applications", "complain", "--kind", "anger", "--description", "x", "--receipt", "x", db_url=cli_db
    )
    assert bad_kind.returncode == 2 and "inconnu" in bad_kind.stderr
    messages = sijill("applications", "messages", receipt.group(0), db_url=cli_db)
    assert messages.returncode == 0 and messages.stdout.strip() == ""
    transmit = sijill("applications", "transmit", db_url=cli_db)
    assert transmit.returncode == 2 and "SIJILL_OPERATORS" in transmit.stderr
