"""Settings from the environment (SIJILL_*), read in one place.

Invalid settings stop the start with a message naming the variable, so an operator never
has to read a traceback to find a typo in a deployment file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///./sijill.db"
DEFAULT_SECRET_KEY = "dev-only-change-me-sijill-0000000000"  # noqa: S105 (demo default; serve warns)


class SettingsError(Exception):
    """A SIJILL_* variable holds a value that cannot be used."""


class OperatorEndpoint(BaseModel):
    """Where an operator's service listens, and the secret both sides sign their messages with."""

    url: str = Field(pattern=r"^https?://")
    secret: str = Field(min_length=16)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIJILL_", extra="ignore")

    database_url: str = DEFAULT_SQLITE_URL
    # Signing key for API bearer tokens; the default is only for a laptop demo, and
    # `sijill serve` warns when it is used.
    secret_key: str = Field(default=DEFAULT_SECRET_KEY, min_length=32)
    token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Argon2id cost; the defaults follow RFC 9106's second recommended option. Tests lower them.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=1024, le=4 * 1024 * 1024)
    # Consecutive failed logins that lock an account, and for how long.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Web pages: a session ends after this long without a request, and in any case after
    # web_session_max_hours; the cookie is sent over HTTPS only when web_secure_cookies is set
    # (on when the pages are served behind TLS, as they must be outside a laptop demo).
    web_session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    web_session_max_hours: int = Field(default=12, ge=1, le=7 * 24)
    web_secure_cookies: bool = False
    # Lifetime of the DCI partners' bearer tokens (OAuth2 client credentials).
    dci_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Seconds between the API process's passes over the DCI outbox (answers owed to partners,
    # retries, lost async messages); 0 leaves it to a separate `sijill dci worker`.
    dci_worker_interval_s: float = Field(default=5.0, ge=0, le=3600)
    # Sijill's Ed25519 key for signing DCI messages (PEM, PKCS8). None: data_dir/dci/signing-key.pem,
    # created on first use; a file set here is managed outside Sijill (a mounted secret) and is
    # never created or rotated by it (docs/dci-signatures.md).
    dci_signing_key_file: Path | None = None
    # How long a signature Sijill makes stays valid: long enough for a slow callback, short
    # enough that a captured message cannot be replayed for long.
    dci_signature_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    # Requests one server process works on at once (the rest wait in its queue). The handlers are
    # CPU-bound Python under one interpreter lock: a few threads keep the database busy during
    # each other's queries, while dozens only take turns, and a thread that holds the audit
    # chain's lock waits for its turn too, which makes every writer wait (docs/benchmarks.md).
    request_threads: int = Field(default=4, ge=1, le=200)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path("./data")
    # Folder of the rule files (index models, questionnaires, thresholds); None: the checkout's rules/.
    rules_dir: Path | None = None
    log_level: str = "INFO"
    # The operators files are sent to, by id (a workflow's `operator`), as JSON:
    # SIJILL_OPERATORS='{"cnss": {"url": "http://127.0.0.1:8100", "secret": "..."}}'
    operators: dict[str, OperatorEndpoint] = Field(default_factory=dict)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgresql") and not value.startswith("postgresql+psycopg://"):
            # psycopg 3 is the only PostgreSQL driver we install.
            raise ValueError("use the psycopg 3 driver: postgresql+psycopg://user@host:port/db")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return upper

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key == DEFAULT_SECRET_KEY


def load_settings() -> Settings:
    """Read the environment; raise SettingsError naming the variable on bad values."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"SIJILL_{field.upper()}: {err['msg']}")
        raise SettingsError("; ".join(problems)) from None


@cache
def get_settings() -> Settings:
    return load_settings()
