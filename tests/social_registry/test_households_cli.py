"""`sijill households` and `sijill score` in a real subprocess: exit codes and messages."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.db import transaction
from tests.factories import ANNEX_A, seed_territory
from tests.social_registry.support import add_person, form, member
from tests.test_cli import sijill


@pytest.fixture
def sqlite_world(db_url: str, backend: str, session_factory: sessionmaker[Session], system_actor: Actor) -> str:
    if backend != "sqlite":
        pytest.skip("the command line is exercised once, on SQLite")
    with transaction(session_factory) as session:
        seed_territory(session, system_actor)
        add_person(session, "7700000001", ANNEX_A, sex="M", born=date(1968, 1, 1))
        add_person(session, "7700000002", ANNEX_A, born=date(2009, 1, 1))
    return db_url


def test_declare_show_explain_correct_and_score_all(sqlite_world: str, tmp_path: Path) -> None:
    path = tmp_path / "form.json"
    path.write_text(
        json.dumps(
            form(
                ANNEX_A, [member("7700000001", "head"), member("7700000002", "child", in_school=True, occupation=None)]
            )
        )
    )
    declared = sijill("households", "declare", str(path), db_url=sqlite_world)
    assert declared.returncode == 0, declared.stderr
    assert "household HH000000001 declared: 2 members, index " in declared.stdout
    shown = sijill("households", "show", "HH000000001", db_url=sqlite_world)
    assert json.loads(shown.stdout)["declaration"]["variables"]["household_size"] == 2
    explained = sijill("households", "explain", "HH000000001", db_url=sqlite_world)
    assert "intercept" in explained.stdout and "log1p(per_capita(spend_phone))" in explained.stdout
    corrected = sijill(
        "households", "correct", "HH000000001", "--score", "9.2", "--reason", "visite du 3 mars", db_url=sqlite_world
    )
    assert corrected.returncode == 0, corrected.stderr
    history = json.loads(sijill("households", "history", "HH000000001", db_url=sqlite_world).stdout)
    assert history["scores"][0]["corrections"][0]["corrected_score"] == 9.2
    scored = sijill("score", "--all", db_url=sqlite_world)
    assert scored.returncode == 0, scored.stderr
    assert "0 households scored with rsu-index@2026.1" in scored.stdout
    rounds = sijill("households", "volatility", "--model", "2026.1", db_url=sqlite_world)
    assert rounds.returncode == 0, rounds.stderr
    assert "between the last two declarations (rsu-index@2026.1): 0 households" in rounds.stdout
    models = sijill("households", "volatility", "--model", "2026.1", "--against", "2026.1", db_url=sqlite_world)
    assert "from rsu-index@2026.1 to rsu-index@2026.1: 1 households, mean |change| 0.0" in models.stdout


def test_bad_input_exits_2_in_both_languages(sqlite_world: str, tmp_path: Path) -> None:
    path = tmp_path / "form.json"
    path.write_text(json.dumps(form(ANNEX_A, [member("7700000002", "head")], spend_phone=-5)))
    refused = sijill("households", "declare", str(path), db_url=sqlite_world)
    assert refused.returncode == 2
    assert "declarant_minor" in refused.stderr and "Le formulaire contient" in refused.stderr
    assert "Traceback" not in refused.stderr
    missing = sijill("households", "show", "HH000000042", db_url=sqlite_world)
    assert missing.returncode == 2 and "HH000000042" in missing.stderr
    no_scope = sijill("score", db_url=sqlite_world)
    assert no_scope.returncode == 2 and "--all" in no_scope.stderr
    unknown = sijill("score", "--all", "--model", "1999.1", db_url=sqlite_world)
    assert unknown.returncode == 2 and "1999.1" in unknown.stderr
