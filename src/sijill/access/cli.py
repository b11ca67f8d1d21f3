"""`sijill users ...` and `sijill audit ...`."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from sijill.access import audit, queries, service
from sijill.access.roles import Role
from sijill.access.schemas import UserIn
from sijill.cli_support import cli_actor, cli_transaction, console, err_console

users_app = typer.Typer(help="User accounts / حسابات المستخدمين / comptes utilisateurs", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log / سجل التتبع / journal d'audit", no_args_is_help=True)


@users_app.command("create")
def create(
    username: Annotated[str, typer.Option(help="login name, lower case")],
    role: Annotated[Role, typer.Option(help="role")],
    full_name: Annotated[str, typer.Option(help="full name")],
    scope: Annotated[str | None, typer.Option(help="territory code (none = national)")] = None,
    language: Annotated[str, typer.Option(help="ar or fr")] = "ar",
    password_env: Annotated[str, typer.Option(help="read the password from this environment variable")] = "",
) -> None:
    """Create a user; the password is asked (hidden) unless --password-env names a variable."""
    password = os.environ.get(password_env, "") if password_env else ""
    if not password:
        password = typer.prompt("Password / كلمة المرور / mot de passe", hide_input=True, confirmation_prompt=True)
    data = UserIn(
        username=username,
        full_name=full_name,
        password=password,
        role=role,
        scope_code=scope,
        language=language,
    )
    with cli_transaction() as session:
        user = service.create_user(session=session, actor=cli_actor(), data=data)
        console.print(f"created user {user.username} ({user.role}, scope {user.scope_code or 'national'})")


@users_app.command("list")
def list_users() -> None:
    with cli_transaction() as session:
        table = Table("username", "role", "scope", "active", "language")
        for user in queries.list_users(session, cli_actor()):
            table.add_row(
                user.username,
                user.role,
                user.scope_code or "national",
                "yes" if user.is_active else "no",
                user.language,
            )
        console.print(table)


@users_app.command("disable")
def disable(username: str) -> None:
    with cli_transaction() as session:
        service.disable_user(session=session, actor=cli_actor(), username=username)
        console.print(f"disabled {username}")


@audit_app.command("verify")
def verify() -> None:
    """Walk the hash chain; exit 1 and name the first broken row if anything was altered."""
    with cli_transaction() as session:
        result = audit.verify(session)
    if result.ok:
        console.print(f"OK: {result.count} audit rows, chain intact")
        return
    err_console.print(
        f"BROKEN at row {result.broken_seq}: {result.reason} ({result.count} rows verified before it)\n"
        f"سلسلة التتبع مكسورة عند السطر {result.broken_seq}\n"
        f"Chaîne d'audit rompue à la ligne {result.broken_seq}"
    )
    raise typer.Exit(1)
