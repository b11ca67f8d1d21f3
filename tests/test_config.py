from __future__ import annotations

import pytest

from sijill.config import SettingsError, load_settings


def test_defaults_use_a_local_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIJILL_DATABASE_URL", raising=False)
    assert load_settings().database_url == "sqlite:///./sijill.db"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SIJILL_DATABASE_URL", "mysql://host/db"),
        ("SIJILL_DATABASE_URL", "postgresql://host/db"),
        ("SIJILL_TOKEN_MINUTES", "0"),
        ("SIJILL_PORT", "http"),
        ("SIJILL_LOG_LEVEL", "LOUD"),
        ("SIJILL_SECRET_KEY", "too-short"),
        ("SIJILL_REQUEST_THREADS", "0"),
        ("SIJILL_REQUEST_THREADS", "many"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert variable in str(caught.value)
