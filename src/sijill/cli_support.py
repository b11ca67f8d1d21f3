"""Shared plumbing for CLI commands: settings, engine, the acting operator, error exits."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.config import get_settings
from sijill.db import make_engine, make_sessionmaker, require_migrated, transaction
from sijill.errors import Text, invalid

# Piped output (files, scripts, tests) is not cut to 80 columns: tables and identifiers stay whole.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def cli_actor() -> Actor:
    """Whoever runs a command on the server acts as the system administrator, traced by OS user."""
    return Actor.system(source=f"cli:{getpass.getuser()}")


def engine_from_settings(check_migrated: bool = True) -> Engine:
    engine = make_engine(get_settings().database_url)
    if check_migrated:
        require_migrated(engine)
    return engine


@contextmanager
def cli_transaction(check_migrated: bool = True) -> Iterator[Session]:
    engine = engine_from_settings(check_migrated)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def cli_sessionmaker() -> sessionmaker[Session]:
    """Sessions for a long-running command (a worker loop): one engine for its whole life."""
    return make_sessionmaker(engine_from_settings())


def date_option(name: str, value: str) -> date:
    """A YYYY-MM-DD option, or the bilingual error a user gets (exit 2)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(
            name,
            value,
            Text("تاريخ بصيغة YYYY-MM-DD", "date au format AAAA-MM-JJ", "a YYYY-MM-DD date"),
            Text("مثال: 2026-01-01", "exemple : 2026-01-01", "e.g. 2026-01-01"),
        ) from None
