"""`sijill dci ...`: the partner systems allowed to call the DCI interface."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.dci import mapping
from sijill.dci.models import DciPartner
from sijill.dci.partners import SCOPES, deactivate_partner, register_partner

dci_app = typer.Typer(help="DCI interface partners / شركاء واجهة DCI / partenaires DCI", no_args_is_help=True)


@dci_app.command("partner-add")
def partner_add(
    client_id: Annotated[str, typer.Option(help="the client id the partner logs in with, e.g. cnss-amo")],
    name: Annotated[str, typer.Option(help="the partner's name")],
    territory: Annotated[
        list[str] | None, typer.Option(help="a territory code it may see (repeat; none: the whole country)")
    ] = None,
    field: Annotated[list[str] | None, typer.Option(help="a DCI record field it may receive (repeat)")] = None,
    preset: Annotated[
        str | None, typer.Option(help=f"a set of fields: {', '.join(mapping.FIELD_PRESETS)} (added to --field)")
    ] = None,
    scope: Annotated[list[str] | None, typer.Option(help=f"a call it may make (repeat): {', '.join(SCOPES)}")] = None,
    callback: Annotated[
        list[str] | None,
        typer.Option(help="a URL prefix its async answers and notifications may be sent to (repeat; https)"),
    ] = None,
) -> None:
    """Register a partner and print its client secret (shown once: give it to the partner now)."""
    fields = list(field or [])
    if preset is not None:
        if preset not in mapping.FIELD_PRESETS:
            raise typer.BadParameter(f"--preset must be one of {', '.join(mapping.FIELD_PRESETS)}")
        fields += mapping.FIELD_PRESETS[preset]
    with cli_transaction() as session:
        registered = register_partner(
            session=session,
            actor=cli_actor(),
            client_id=client_id,
            name=name,
            territories=territory or None,
            fields=fields,
            scopes=scope or None,
            known_fields=frozenset(mapping.FIELDS),
            callback_prefixes=callback,
        )
    console.print(f"registered {client_id}; client secret (shown once / يظهر مرة واحدة / affiché une fois):")
    console.print(registered.client_secret, highlight=False)


@dci_app.command("partners")
def partners() -> None:
    """The registered partners, their territories, fields and scopes."""
    with cli_transaction() as session:
        table = Table("client id", "name", "territories", "fields", "scopes", "active")
        for row in session.execute(select(DciPartner).order_by(DciPartner.client_id)).scalars():
            table.add_row(
                row.client_id,
                row.name,
                ", ".join(row.territories) if row.territories else "national",
                str(len(row.fields)),
                " ".join(row.scopes),
                "yes" if row.is_active else "no",
            )
        console.print(table)


@dci_app.command("partner-disable")
def partner_disable(client_id: Annotated[str, typer.Option(help="the partner's client id")]) -> None:
    """Stop a partner: its tokens are refused from the next call."""
    with cli_transaction() as session:
        found = deactivate_partner(session=session, actor=cli_actor(), client_id=client_id)
    console.print(f"disabled {client_id}" if found else f"no active partner {client_id}")
