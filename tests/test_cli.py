"""The `sijill` command end to end, in a real subprocess: exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from sijill.db import make_engine
from sijill.migrations_runner import head_revision


def sijill(
    *args: str, db_url: str, extra_env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SIJILL_DATABASE_URL": db_url, **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sijill", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_command_on_unmigrated_database_says_to_upgrade(fresh_sqlite: str) -> None:
    result = sijill("users", "list", db_url=fresh_sqlite)
    assert result.returncode == 2
    assert "sijill db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_setting_names_the_variable(fresh_sqlite: str) -> None:
    result = sijill("db", "current", db_url="mysql://nowhere/db")
    assert result.returncode == 2
    assert "SIJILL_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    short_key = sijill("db", "current", db_url=fresh_sqlite, extra_env={"SIJILL_SECRET_KEY": "short"})
    assert short_key.returncode == 2 and "SIJILL_SECRET_KEY" in short_key.stderr


def test_upgrade_users_and_audit_verify_flow(fresh_sqlite: str) -> None:
    up = sijill("db", "upgrade", db_url=fresh_sqlite)
    assert up.returncode == 0, up.stderr
    assert f"revision {head_revision()}" in up.stdout and "reference territory loaded" in up.stdout
    assert "up to date" in sijill("db", "current", db_url=fresh_sqlite).stdout

    env = {"NEW_PASSWORD": "a-long-enough-password"}
    created = sijill(
        "users",
        "create",
        "--username",
        "agent1",
        "--role",
        "annex_agent",
        "--full-name",
        "A One",
        "--scope",
        "03.02",
        "--password-env",
        "NEW_PASSWORD",
        db_url=fresh_sqlite,
        extra_env=env,
    )
    # An annex agent's scope must be an annex, not a province: refused with both languages.
    assert created.returncode == 2
    assert "scope_code" in created.stderr and "annex" in created.stderr
    assert "الحقل" in created.stderr and "champ" in created.stderr

    ok = sijill(
        "users",
        "create",
        "--username",
        "sup1",
        "--role",
        "supervisor_province",
        "--full-name",
        "S One",
        "--scope",
        "03.02",
        "--password-env",
        "NEW_PASSWORD",
        db_url=fresh_sqlite,
        extra_env=env,
    )
    assert ok.returncode == 0, ok.stderr
    weak = sijill(
        "users",
        "create",
        "--username",
        "sup2",
        "--role",
        "supervisor_province",
        "--full-name",
        "S2",
        "--scope",
        "03.02",
        "--password-env",
        "SHORT",
        db_url=fresh_sqlite,
        extra_env={"SHORT": "abc"},
    )
    assert weak.returncode == 2 and "password" in weak.stderr
    assert sijill("users", "disable", "sup1", db_url=fresh_sqlite).returncode == 0
    listing = sijill("users", "list", db_url=fresh_sqlite).stdout
    assert "sup1" in listing and "no" in listing
    missing = sijill("users", "disable", "ghost", db_url=fresh_sqlite)
    assert missing.returncode == 2 and "ghost" in missing.stderr

    verified = sijill("audit", "verify", db_url=fresh_sqlite)
    assert verified.returncode == 0
    assert verified.stdout.startswith("OK: 3 audit rows")  # reference load, user create, user disable

    engine = make_engine(fresh_sqlite)
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("UPDATE audit_log SET details = '{}' WHERE seq = 2"))
    engine.dispose()
    broken = sijill("audit", "verify", db_url=fresh_sqlite)
    assert broken.returncode == 1
    assert "BROKEN at row 2" in broken.stderr


def test_usage_errors_exit_2_without_a_traceback(fresh_sqlite: str) -> None:
    for args in (("persons", "nonexistent"), ("nonexistent",), ("persons", "show", "--no-such-option")):
        result = sijill(*args, db_url=fresh_sqlite)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr and "Usage" in result.stderr, args
        assert "أمر أو خيار غير صالح" in result.stderr and "Commande ou option invalide" in result.stderr, args


def test_every_command_is_listed_and_a_command_imports_only_its_own_context(fresh_sqlite: str) -> None:
    listed = sijill("--help", db_url=fresh_sqlite, extra_env={"COLUMNS": "200"})
    assert listed.returncode == 0
    for name in ("persons", "households", "quality", "dci", "dedup", "cnss-sim", "audit", "db", "bench"):
        assert f" {name} " in listed.stdout, name
    # One app of one command stays a group, as it was under add_typer.
    assert sijill("audit", "--help", db_url=fresh_sqlite).returncode == 0
    assert "verify" in sijill("audit", "--help", db_url=fresh_sqlite).stdout
    # The register's commands start without the detectors' scipy, Splink or the web stack.
    probe = (
        "import sys, atexit\n"
        "atexit.register(lambda: print(sorted(m for m in ('scipy', 'splink', 'fastapi') if m in sys.modules)))\n"
        "from sijill.cli import main\n"
        "sys.argv = ['sijill', 'persons', '--help']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "SIJILL_DATABASE_URL": fresh_sqlite},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_unknown_benchmark_is_a_clear_error(fresh_sqlite: str) -> None:
    result = sijill("bench", "nope", db_url=fresh_sqlite)
    assert result.returncode == 2
    assert "synth" in result.stderr and "Benchmark inconnu" in result.stderr


def test_territory_import_reports_bad_lines_and_writes_nothing(fresh_sqlite: str, tmp_path: Path) -> None:
    assert sijill("db", "upgrade", db_url=fresh_sqlite).returncode == 0
    bad = tmp_path / "units.csv"
    bad.write_text(
        "level,code,parent_code,kind,milieu,name_fr,name_ar\n"
        "commune,03.02.001,03.02,urban_commune,urban,Meknès,مكناس\n"
        "annex,03.02.001.01,03.02.009,annex,urban,Annexe 1,الملحقة 1\n",
        encoding="utf-8",
    )
    refused = sijill("territory", "import", str(bad), db_url=fresh_sqlite)
    assert refused.returncode == 2
    assert "'line': 3" in refused.stderr and "parent_code" in refused.stderr
    assert "aucune ligne" in refused.stderr
    good = tmp_path / "good.csv"
    good.write_text(bad.read_text(encoding="utf-8").replace("03.02.009", "03.02.001"), encoding="utf-8")
    accepted = sijill("territory", "import", str(good), db_url=fresh_sqlite)
    assert accepted.returncode == 0, accepted.stderr
    assert "'created_units': 2" in accepted.stdout


def test_synth_bad_input_is_exit_2_without_writing(tmp_path: Path) -> None:
    out = tmp_path / "never"
    small = sijill("synth", "--persons", "500", "--out", str(out), db_url="sqlite:///unused.db")
    assert small.returncode == 2
    assert "persons" in small.stderr and "Traceback" not in small.stderr
    province = sijill(
        "synth", "--persons", "2000", "--province", "99.99", "--out", str(out), db_url="sqlite:///unused.db"
    )
    assert province.returncode == 2 and "99.99" in province.stderr
    assert not out.exists()


def test_persons_commands_end_to_end(fresh_sqlite: str, tmp_path: Path) -> None:
    assert sijill("db", "upgrade", db_url=fresh_sqlite).returncode == 0
    units = tmp_path / "units.csv"
    units.write_text(
        "level,code,parent_code,kind,milieu,name_fr,name_ar\n"
        "commune,03.02.001,03.02,urban_commune,urban,Meknès,مكناس\n"
        "annex,03.02.001.01,03.02.001,annex,urban,Annexe 1,الملحقة 1\n",
        encoding="utf-8",
    )
    assert sijill("territory", "import", str(units), db_url=fresh_sqlite).returncode == 0
    record = (
        '{"given_name_lat": "Khadija", "family_name_lat": "Alaoui", "given_name_ar": "خديجة", '
        '"family_name_ar": "العلوي", "sex": "F", "birth_date": "1985-02-11", "nationality": "MAR", '
        '"cin": "ab123456", "phone": "0661234567", "annex_code": "03.02.001.01"}'
    )
    registered = sijill("persons", "register", "-", db_url=fresh_sqlite, stdin=record)
    assert registered.returncode == 0, registered.stderr
    idcs = registered.stdout.split("issued IDCS ")[1].split()[0]
    shown = sijill("persons", "show", idcs, db_url=fresh_sqlite)
    assert '"cin": "AB123456"' in shown.stdout and '"phone": "+212661234567"' in shown.stdout
    found = sijill("persons", "search", "--name", "خديجة", db_url=fresh_sqlite)
    assert idcs in found.stdout
    again = sijill("persons", "register", "-", db_url=fresh_sqlite, stdin=record)
    assert again.returncode == 0 and "held for review" in again.stdout  # same CIN
    bad = sijill("persons", "register", "-", db_url=fresh_sqlite, stdin=record.replace("1985-02-11", "2999-01-01"))
    assert bad.returncode == 2 and "birth_date" in bad.stderr and "Traceback" not in bad.stderr
    corrected = sijill(
        "persons",
        "correct",
        idcs,
        "--changes",
        '{"family_name_lat": "El Alaoui"}',
        "--reason",
        "typo",
        "--version",
        "1",
        db_url=fresh_sqlite,
    )
    assert corrected.returncode == 0 and "version 2" in corrected.stdout
    stale = sijill(
        "persons",
        "correct",
        idcs,
        "--changes",
        '{"family_name_lat": "X"}',
        "--reason",
        "late",
        "--version",
        "1",
        db_url=fresh_sqlite,
    )
    assert stale.returncode == 2 and "version" in stale.stderr
    exported = tmp_path / "export.csv"
    out = sijill("persons", "export", "--out", str(exported), db_url=fresh_sqlite)
    assert out.returncode == 0 and "exported 1 persons" in out.stdout
    assert "El Alaoui" in exported.read_text(encoding="utf-8")
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("record_id,sex,annex_code,birth_year\n1,X,03.02.001.01,1980\n", encoding="utf-8")
    refused = sijill("persons", "import", str(bad_csv), db_url=fresh_sqlite)
    assert refused.returncode == 2 and "bad.errors.csv" in refused.stderr
    assert "sex" in (tmp_path / "bad.errors.csv").read_text(encoding="utf-8")
