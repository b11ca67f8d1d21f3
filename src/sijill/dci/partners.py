"""Registering the partner systems that may call the DCI interface, and checking their client
credentials. Registration is an administrator's act, audited; the secret is shown once."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.dci.criteria import Partner
from sijill.dci.deliveries import drop_for_partner
from sijill.dci.keys import jwk_public_key
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
SIGNATURE_MODES = ("off", "verify", "required")
# A kid travels inside the signature's kidId="sender|kid|algorithm" between quotes: "|", '"',
# backslashes, spaces and control characters would make it unreadable there.
KID = re.compile(r"[!#-\[\]-{}~]{1,99}")


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


# Characters a callback address never needs, which servers and clients read differently:
# controls and spaces, backslashes, and encoded dots, slashes and backslashes.
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f\\]|%2[eEfF]|%5[cC]")


@dataclass(frozen=True, slots=True)
class _Address:
    scheme: str
    host: str
    port: int
    segments: tuple[str, ...]


def _address(uri: str) -> _Address | None:
    """A URL read the one way it will be sent, or None when it can be read more than one way."""
    if _UNSAFE_IN_URL.search(uri):
        return None
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    segments = tuple(parts.path.split("/")[1:])
    # A dot segment is resolved by the sender's HTTP client: /dci/../admin would leave the prefix.
    if any(segment in (".", "..") for segment in segments):
        return None
    return _Address(scheme, parts.hostname.lower(), port, segments)


def check_callback_prefix(prefix: str) -> str:
    found = _address(prefix)
    plain_ok = found is not None and found.scheme == "http" and found.host in LOOPBACK_HOSTS
    if found is None or urlsplit(prefix).query or not (found.scheme == "https" or plain_ok):
        raise invalid(
            "callback",
            prefix,
            Text(
                "عنوان الاستدعاء يجب أن يكون https كاملا",
                "l'adresse de rappel doit être une URL https complète",
                "a callback prefix is an absolute https URL without user, query or dot segments "
                "(http only to localhost)",
            ),
            Text(
                "مثال: https://cnss.example.ma/dci/",
                "Exemple : https://cnss.example.ma/dci/",
                "for example https://cnss.example.ma/dci/",
            ),
        )
    return prefix if urlsplit(prefix).path else prefix + "/"


def callback_allowed(partner: DciPartner, uri: str) -> bool:
    """Whether `uri` is under one of the partner's registered callback prefixes: same scheme,
    host and port, and the prefix's path segments first (so /dci admits /dci/on-search, never
    /dci-other); an address that could be read two ways is never allowed."""
    target = _address(uri)
    if target is None:
        return False
    for prefix in partner.callback_prefixes or []:
        base = _address(prefix)
        if base is None:
            continue
        wanted = base.segments[:-1] if base.segments and base.segments[-1] == "" else base.segments
        same_origin = (base.scheme, base.host, base.port) == (target.scheme, target.host, target.port)
        if same_origin and target.segments[: len(wanted)] == wanted:
            return True
    return False


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
    prefixes = [check_callback_prefix(prefix) for prefix in callback_prefixes or []] or None
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
        dropped = drop_for_partner(session, found.id, datetime.now(UTC))
        audit.record(
            session, actor, "dci.partner_deactivate", "dci_partner", client_id, None, {"messages_dropped": dropped}
        )
    return found


def _registered(session: Session, client_id: str) -> DciPartner:
    found = session.execute(select(DciPartner).where(DciPartner.client_id == client_id)).scalar_one_or_none()
    if found is None:
        raise SijillError(
            code="not_found",
            field="client_id",
            value=client_id,
            status=404,
            message=Text(
                f"لا يوجد شريك بهذا المعرف: {client_id}",
                f"aucun partenaire avec l'identifiant {client_id}",
                f"no partner {client_id}",
            ),
            fix=Text(
                "انظروا sijill dci partners",
                "Voir sijill dci partners",
                "see sijill dci partners",
            ),
        )
    return found


def _bad_jwk(value: Any, rule: Text) -> SijillError:
    return invalid(
        "jwk",
        value,
        rule,
        Text(
            'أعطوا المفتاح العام فقط: {"kty": "OKP", "crv": "Ed25519", "x": ..., "kid": ...}',
            'Donnez la clé publique seule : {"kty": "OKP", "crv": "Ed25519", "x": ..., "kid": ...}',
            'give the public key only: {"kty": "OKP", "crv": "Ed25519", "x": ..., "kid": ...}',
        ),
    )


def partner_jwk(jwk: Any) -> dict[str, str]:
    """The partner's public JWK as Sijill stores it (only the fields signatures use), or the
    bilingual error naming what is wrong with it."""
    if not isinstance(jwk, dict):
        raise _bad_jwk(None, Text("المفتاح ليس كائن JSON", "la clé n'est pas un objet JSON", "not a JSON object"))
    if "d" in jwk:
        # The value is never echoed: it is the partner's secret, and it must not reach a log.
        raise _bad_jwk(
            "d",
            Text(
                "هذا مفتاح خاص (d): لا يقبل Sijill إلا المفتاح العام، والمفتاح الخاص لا يغادر الشريك",
                "c'est une clé privée (d) : Sijill n'accepte que la clé publique, "
                "la privée ne quitte pas le partenaire",
                "this is a private key (d): only the public key is accepted; the private key must never leave "
                "the partner",
            ),
        )
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty != "OKP" or crv != "Ed25519":
        shown = f"kty={kty} crv={crv}"
        raise _bad_jwk(
            shown,
            Text(
                f"نوع المفتاح غير مقبول ({shown}): المطلوب OKP و Ed25519",
                f"type de clé refusé ({shown}) : il faut kty OKP et crv Ed25519",
                f"key type {shown} refused: kty must be OKP and crv Ed25519",
            ),
        )
    try:
        jwk_public_key(jwk)
    except ValueError:
        raise _bad_jwk(
            "x",
            Text(
                "القيمة x ليست 32 بايت بترميز base64url",
                "x n'est pas 32 octets en base64url (sans remplissage)",
                "x is not 32 bytes in base64url without padding",
            ),
        ) from None
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not KID.fullmatch(kid):
        raise _bad_jwk(
            "kid",
            Text(
                'المعرف kid مطلوب: من 1 إلى 99 حرفا بدون فراغ ولا | ولا " ولا \\',
                'kid est requis : 1 à 99 caractères, sans espace, |, " ni \\',
                'kid is required: 1 to 99 printable characters without space, |, " or \\',
            ),
        )
    alg = jwk.get("alg", "EdDSA")
    if alg != "EdDSA":
        raise _bad_jwk(
            f"alg={alg}",
            Text(
                f"الخوارزمية {alg} غير مقبولة: المطلوب EdDSA",
                f"algorithme {alg} refusé : il faut EdDSA",
                f"alg {alg} refused: it must be EdDSA",
            ),
        )
    use = jwk.get("use", "sig")
    if use != "sig":
        raise _bad_jwk(
            f"use={use}",
            Text(
                "الاستعمال يجب أن يكون sig (توقيع)",
                "use doit être sig (signature)",
                "use must be sig",
            ),
        )
    return {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": kid, "alg": "EdDSA", "use": "sig"}


def add_partner_key(*, session: Session, actor: Actor, client_id: str, jwk: dict[str, Any]) -> DciPartner:
    """Register one more public key the partner signs its requests with."""
    actor.require(Permission.USER_ADMIN)
    partner = _registered(session, client_id)
    stored = partner_jwk(jwk)
    current = list(partner.public_keys or [])
    if any(key.get("kid") == stored["kid"] for key in current):
        raise SijillError(
            code="kid_taken",
            field="kid",
            value=stored["kid"],
            status=409,
            message=Text(
                f"للشريك مفتاح بالمعرف نفسه: {stored['kid']}",
                f"le partenaire a déjà une clé {stored['kid']}",
                f"the partner already has a key {stored['kid']}",
            ),
            fix=Text(
                "اختاروا kid آخر أو احذفوا القديم بـ sijill dci partner-key-remove",
                "Choisissez un autre kid, ou retirez l'ancienne avec sijill dci partner-key-remove",
                "choose another kid, or remove the old key with sijill dci partner-key-remove",
            ),
        )
    # A new list, not an append: the JSON column only notices a reassignment.
    partner.public_keys = [*current, stored]
    audit.record(
        session, actor, "dci.partner_key_add", "dci_partner", client_id, None, {"kid": stored["kid"], "x": stored["x"]}
    )
    return partner


def remove_partner_key(*, session: Session, actor: Actor, client_id: str, kid: str) -> DciPartner:
    """Withdraw a key: requests signed with it are refused from the next call."""
    actor.require(Permission.USER_ADMIN)
    partner = _registered(session, client_id)
    current = list(partner.public_keys or [])
    kept = [key for key in current if key.get("kid") != kid]
    if len(kept) == len(current):
        raise invalid(
            "kid",
            kid,
            Text(
                f"لا يوجد للشريك مفتاح بهذا المعرف: {kid}",
                f"le partenaire n'a pas de clé {kid}",
                f"the partner has no key {kid}",
            ),
            Text("انظروا sijill dci partners", "Voir sijill dci partners", "see sijill dci partners"),
        )
    if not kept and partner.signature_mode == "required":
        raise invalid(
            "kid",
            kid,
            Text(
                "هذا آخر مفتاح والتوقيع إلزامي: ستُرفض كل طلبات الشريك",
                "c'est la dernière clé et la signature est exigée : toutes les requêtes seraient refusées",
                "this is the last key and signatures are required: every request would be refused",
            ),
            Text(
                "أضيفوا مفتاحا آخر أولا، أو غيروا الوضع بـ sijill dci partner-signatures",
                "Ajoutez d'abord une autre clé, ou changez le mode avec sijill dci partner-signatures",
                "add another key first, or change the mode with sijill dci partner-signatures",
            ),
        )
    partner.public_keys = kept or None
    audit.record(session, actor, "dci.partner_key_remove", "dci_partner", client_id, None, {"kid": kid})
    return partner


def set_signature_mode(*, session: Session, actor: Actor, client_id: str, mode: str) -> DciPartner:
    """off: signatures ignored; verify: checked when present; required: unsigned requests refused."""
    actor.require(Permission.USER_ADMIN)
    partner = _registered(session, client_id)
    if mode not in SIGNATURE_MODES:
        raise invalid(
            "mode",
            mode,
            Text(
                f"وضع غير معروف: {mode}",
                f"mode inconnu : {mode}",
                f"unknown mode; known: {', '.join(SIGNATURE_MODES)}",
            ),
            Text(
                f"اختاروا من: {', '.join(SIGNATURE_MODES)}",
                f"Choisissez parmi : {', '.join(SIGNATURE_MODES)}",
                f"pick one of {', '.join(SIGNATURE_MODES)}",
            ),
        )
    if mode == "required" and not partner.public_keys:
        raise invalid(
            "mode",
            mode,
            Text(
                "لا يمكن إلزام التوقيع قبل تسجيل مفتاح للشريك",
                "impossible d'exiger la signature : le partenaire n'a aucune clé",
                "signatures cannot be required while the partner has no key",
            ),
            Text(
                "سجلوا مفتاحه أولا: sijill dci partner-key-add",
                "Enregistrez d'abord sa clé : sijill dci partner-key-add",
                "register its key first: sijill dci partner-key-add",
            ),
        )
    previous = partner.signature_mode
    partner.signature_mode = mode
    audit.record(
        session, actor, "dci.partner_signature_mode", "dci_partner", client_id, None, {"from": previous, "to": mode}
    )
    return partner
