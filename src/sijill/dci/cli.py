"""`sijill dci ...`: the partner systems allowed to call the DCI interface."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import select

from sijill.cli_support import cli_actor, cli_transaction, console
from sijill.config import get_settings
from sijill.dci import mapping
from sijill.dci.keys import jwks as published_jwks
from sijill.dci.keys import rotate_signing_key
from sijill.dci.models import DciPartner
from sijill.dci.partners import (
    SCOPES,
    SIGNATURE_MODES,
    add_partner_key,
    deactivate_partner,
    register_partner,
    remove_partner_key,
    set_signature_mode,
)
from sijill.errors import Text, invalid

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
        table = Table("client id", "name", "territories", "fields", "scopes", "signatures", "keys", "active")
        for row in session.execute(select(DciPartner).order_by(DciPartner.client_id)).scalars():
            table.add_row(
                row.client_id,
                row.name,
                ", ".join(row.territories) if row.territories else "national",
                str(len(row.fields)),
                " ".join(row.scopes),
                row.signature_mode,
                str(len(row.public_keys or [])),
                "yes" if row.is_active else "no",
            )
        console.print(table)


@dci_app.command("partner-disable")
def partner_disable(client_id: Annotated[str, typer.Option(help="the partner's client id")]) -> None:
    """Stop a partner: its tokens are refused from the next call."""
    with cli_transaction() as session:
        found = deactivate_partner(session=session, actor=cli_actor(), client_id=client_id)
    console.print(f"disabled {client_id}" if found else f"no active partner {client_id}")


def _read_jwk(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise invalid(
            "jwk",
            str(path),
            Text(
                f"تعذرت قراءة مفتاح JWK بصيغة JSON من الملف {path}",
                f"impossible de lire une clé JWK JSON dans {path}",
                f"cannot read one JWK as JSON from {path}",
            ),
            Text(
                "أعطوا ملفا يحوي كائن JWK واحدا",
                "Donnez un fichier contenant un seul objet JWK",
                "give a file holding one JWK object",
            ),
        ) from None


@dci_app.command("partner-key-add")
def partner_key_add(
    client_id: Annotated[str, typer.Option(help="the partner's client id")],
    jwk: Annotated[Path, typer.Option(help="a file holding the partner's public key, one Ed25519 JWK as JSON")],
) -> None:
    """Register a public key the partner signs its requests with."""
    key = _read_jwk(jwk)
    with cli_transaction() as session:
        partner = add_partner_key(session=session, actor=cli_actor(), client_id=client_id, jwk=key)
        count = len(partner.public_keys or [])
    console.print(f"{client_id}: key {key['kid']} added ({count} key(s))", highlight=False, markup=False)


@dci_app.command("partner-key-remove")
def partner_key_remove(
    client_id: Annotated[str, typer.Option(help="the partner's client id")],
    kid: Annotated[str, typer.Option(help="the key id (kid) to withdraw")],
) -> None:
    """Withdraw a partner's key: requests signed with it are refused from the next call."""
    with cli_transaction() as session:
        partner = remove_partner_key(session=session, actor=cli_actor(), client_id=client_id, kid=kid)
        count = len(partner.public_keys or [])
    console.print(f"{client_id}: key {kid} removed ({count} key(s) left)", highlight=False, markup=False)


@dci_app.command("partner-signatures")
def partner_signatures(
    client_id: Annotated[str, typer.Option(help="the partner's client id")],
    mode: Annotated[str, typer.Option(help=f"one of {', '.join(SIGNATURE_MODES)}")],
) -> None:
    """Whether the partner's requests are signed: off (ignored), verify (checked when present),
    required (unsigned requests refused)."""
    with cli_transaction() as session:
        set_signature_mode(session=session, actor=cli_actor(), client_id=client_id, mode=mode)
    console.print(f"{client_id}: signatures {mode}", highlight=False, markup=False)


@dci_app.command("jwks")
def jwks() -> None:
    """Print Sijill's published signing keys (JWKS JSON), the current one first."""
    typer.echo(json.dumps(published_jwks(get_settings()), indent=2))


@dci_app.command("key-rotate")
def key_rotate() -> None:
    """Make a new signing key; the old one stays in the JWKS so older messages still verify."""
    with cli_transaction() as session:
        key = rotate_signing_key(settings=get_settings(), session=session, actor=cli_actor())
    typer.echo(key.kid)
