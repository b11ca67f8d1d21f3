"""`sijill dci partner-add | partners | partner-disable`, and the token the secret it prints opens."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from sijill.api.app import create_app
from sijill.config import Settings
from tests.test_cli import sijill


def test_a_partner_registered_on_the_command_line_gets_a_token_until_disabled(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dci.db'}"
    assert sijill("db", "upgrade", db_url=url).returncode == 0
    options = ["--client-id", "cnss-amo", "--name", "CNSS", "--territory", "03", "--preset", "health_insurer"]
    added = sijill("dci", "partner-add", *options, db_url=url)
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip().splitlines()[-1]
    listed = sijill("dci", "partners", db_url=url)
    assert "cnss-amo" in listed.stdout and "03" in listed.stdout
    settings = Settings(database_url=url, secret_key="dci-cli-test-secret-0123456789abcdef01234")
    form = {"grant_type": "client_credentials", "client_id": "cnss-amo", "client_secret": secret}
    with TestClient(create_app(settings)) as client:
        assert client.post("/dci/oauth2/client/token", data=form).status_code == 200
        assert sijill("dci", "partner-disable", "--client-id", "cnss-amo", db_url=url).returncode == 0
        assert client.post("/dci/oauth2/client/token", data=form).status_code == 401


def test_bad_registrations_exit_2_naming_the_value_and_write_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dci.db'}"
    assert sijill("db", "upgrade", db_url=url).returncode == 0
    for args, named in (
        (("--field", "income"), "income"),
        (("--territory", "99.99"), "99.99"),
        (("--scope", "registry.everything"), "registry.everything"),
    ):
        refused = sijill("dci", "partner-add", "--client-id", "x-partner", "--name", "X", *args, db_url=url)
        assert refused.returncode == 2, refused.stdout
        assert named in refused.stderr and "Traceback" not in refused.stderr
    assert "x-partner" not in sijill("dci", "partners", db_url=url).stdout
