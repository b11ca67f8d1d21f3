"""Registering the partner systems that may call the DCI interface, and checking their client
credentials. Registration is an administrator's act, audited; the secret is shown once."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.dci.criteria import Partner
from sijill.dci.models import DciPartner
from sijill.errors import SijillError, Text, invalid
from sijill.territory.queries import unit_level

# The DCI calls a partner may be allowed, as OAuth scopes.
SCOPES = ("registry.search", "registry.txn-status", "registry.subscribe")
DEFAULT_SCOPES = ("registry.search", "registry.txn-status")
CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Plain HTTP only to this machine (a partner's adapter beside Sijill, the tests' receiver):
# anywhere else the records would cross the network in clear.
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True, slots=True)
class Registered:
    partner: DciPartner
    # Shown to the administrator once, never stored.
    client_secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_codes(session: Session, territories: list[str] | None) -> None:
    for code in territories or []:
        if unit_level(session, code) is None:
            raise invalid(
                "territories",
                code,
                Text(f"رمز التراب غير معروف: {code}", f"code territorial inconnu : {code}", "unknown territory code"),
                Text(
                    "استعملوا رمزا من لائحة الوحدات الترابية",
                    "Utilisez un code de la liste des unités territoriales",
                    "use a code from the territory list",
                ),
            )


def _check_callback_prefix(prefix: str) -> str:
    parts = urlsplit(prefix)
    plain_ok = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not parts.hostname or parts.query or parts.fragment or not (parts.scheme == "https" or plain_ok):
        raise invalid(
            "callback",
            prefix,
            Text(
                "عنوان الاستدعاء يجب أن يكون https كاملا",
                "l'adresse de rappel doit être une URL https complète",
                "a callback prefix is an absolute https URL without query (http only to localhost)",
            ),
            Text(
                "مثال: https://cnss.example.ma/dci/",
                "Exemple : https://cnss.example.ma/dci/",
                "for example https://cnss.example.ma/dci/",
            ),
        )
    # A bare origin is closed with a slash, so that https://a.ma does not admit https://a.ma.evil.org.
    return prefix if parts.path else prefix + "/"


def callback_allowed(partner: DciPartner, uri: str) -> bool:
    """Whether `uri` is under one of the partner's registered callback prefixes."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return False
    return any(uri.startswith(prefix) for prefix in partner.callback_prefixes or [])


def register_partner(
    *,
    session: Session,
    actor: Actor,
    client_id: str,
    name: str,
    territories: list[str] | None,
    fields: list[str],
    scopes: list[str] | None = None,
    known_fields: frozenset[str] | None = None,
    callback_prefixes: list[str] | None = None,
) -> Registered:
    actor.require(Permission.USER_ADMIN)
    if not CLIENT_ID.match(client_id):
        raise invalid(
            "client_id",
            client_id,
            Text("معرف غير صالح", "identifiant invalide", "3 to 64 of a-z 0-9 . _ -, starting with a letter or digit"),
            Text("مثال: cnss-amo", "Exemple : cnss-amo", "for example cnss-amo"),
        )
    chosen_scopes = list(scopes or DEFAULT_SCOPES)
    unknown = [s for s in chosen_scopes if s not in SCOPES]
    if unknown:
        raise invalid(
            "scopes",
            ", ".join(unknown),
            Text(
                f"صلاحية غير معروفة: {', '.join(unknown)}",
                f"portée inconnue : {', '.join(unknown)}",
                f"unknown scope; known: {', '.join(SCOPES)}",
            ),
            Text(f"اختاروا من: {', '.join(SCOPES)}", f"Choisissez parmi : {', '.join(SCOPES)}", "pick known scopes"),
        )
    if known_fields is not None:
        strange = [f for f in fields if f not in known_fields]
        if strange:
            raise invalid(
                "fields",
                ", ".join(strange),
                Text(
                    f"حقل غير معروف: {', '.join(strange)}",
                    f"champ inconnu : {', '.join(strange)}",
                    "unknown DCI record field",
                ),
                Text("انظروا docs/dci.md", "Voir docs/dci.md", "see docs/dci.md for the field names"),
            )
    _check_codes(session, territories)
    prefixes = [_check_callback_prefix(prefix) for prefix in callback_prefixes or []] or None
    secret = secrets.token_urlsafe(32)
    partner = DciPartner(
        client_id=client_id,
        name=name,
        secret_hash=_digest(secret),
        territories=territories,
        fields=sorted(set(fields)),
        scopes=chosen_scopes,
        callback_prefixes=prefixes,
        public_keys=None,
        signature_mode="off",
        is_active=True,
        created_at=datetime.now(UTC),
        created_by=actor.username,
    )
    try:
        with session.begin_nested():
            session.add(partner)
    except IntegrityError:
        raise SijillError(
            code="client_id_taken",
            field="client_id",
            value=client_id,
            status=409,
            message=Text("هذا المعرف مستعمل", "Cet identifiant est déjà pris", "client id already registered"),
            fix=Text("اختاروا معرفا آخر", "Choisissez un autre identifiant", "choose another client id"),
        ) from None
    audit.record(
        session,
        actor,
        "dci.partner_register",
        "dci_partner",
        client_id,
        None,
        {"territories": territories, "fields": partner.fields, "scopes": chosen_scopes, "callbacks": prefixes},
    )
    return Registered(partner=partner, client_secret=secret)


def authenticate_client(session: Session, client_id: str, client_secret: str) -> DciPartner | None:
    """The active partner whose credentials these are; None otherwise (the caller answers 401)."""
    found = session.execute(
        select(DciPartner).where(DciPartner.client_id == client_id, DciPartner.is_active.is_(True))
    ).scalar_one_or_none()
    expected = found.secret_hash if found else _digest("sijill-no-such-partner")
    # Compared in constant time, and even for an unknown client, so timing tells nothing.
    matches = hmac.compare_digest(_digest(client_secret), expected)
    return found if found is not None and matches else None


def active_partner(session: Session, client_id: str) -> DciPartner | None:
    return session.execute(
        select(DciPartner).where(DciPartner.client_id == client_id, DciPartner.is_active.is_(True))
    ).scalar_one_or_none()


def as_partner(row: DciPartner) -> Partner:
    territories = tuple(row.territories) if row.territories is not None else None
    return Partner(client_id=row.client_id, territories=territories, fields=frozenset(row.fields))


def deactivate_partner(*, session: Session, actor: Actor, client_id: str) -> DciPartner | None:
    actor.require(Permission.USER_ADMIN)
    found = active_partner(session, client_id)
    if found is not None:
        found.is_active = False
        audit.record(session, actor, "dci.partner_deactivate", "dci_partner", client_id, None)
    return found
