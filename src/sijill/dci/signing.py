"""Sijill's profile of the DCI envelope `signature` (MsgSignature), signed and checked with
Ed25519 (docs/dci-signatures.md).

The standard gives only an example string; the profile fixes what it leaves open: the signed
content is the header and the message in one canonical JSON form, digested with BLAKE2b-512,
and the signing string covers the validity window and that digest, as the example's
`headers="(created) (expires) digest"` says.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from sijill.config import Settings
from sijill.dci.keys import SigningKey, jwk_public_key, load_signing_key
from sijill.dci.models import DciPartner

NAMESPACE = "spdci"
ALGORITHM = "ed25519"
HEADERS = "(created) (expires) digest"
MISSING = "err.signature.missing"
INVALID = "err.signature.invalid"
MODES = ("off", "verify", "required")
# A signer may not choose a longer window than Sijill itself may be configured to use
# (SIJILL_DCI_SIGNATURE_TTL_SECONDS): otherwise a captured message could be replayed for days.
MAX_WINDOW_SECONDS = 3600
ED25519_SIGNATURE_BYTES = 64
# What a refusal quotes back of the partner's text: enough to recognise it, not a way to fill logs.
QUOTE_LIMIT = 64

_PREFIX = re.compile(r"\s*Signature\s*:", re.IGNORECASE)
_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*"([^"]*)"\s*(?:,|$)')
_SECONDS = re.compile(r"[0-9]{1,12}")


class SignatureRefusedError(Exception):
    """A signature missing where required, or one that does not hold; `message` (English) names
    exactly what failed, for the refusal the partner receives."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    sender_id: str
    kid: str
    algorithm: str
    created: int
    expires: int
    signature: bytes


def _quote(text: str) -> str:
    return repr(text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "...")


def _refused(message: str) -> SignatureRefusedError:
    return SignatureRefusedError(INVALID, message)


def canonical(header: Mapping[str, Any], message: Mapping[str, Any] | None) -> bytes:
    """The bytes signed: the header and message as JSON-ready dicts (as parsed from the body, not
    re-serialised through a model, which would add defaults the sender never sent)."""
    return json.dumps(
        {"header": header, "message": message}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def digest(header: Mapping[str, Any], message: Mapping[str, Any] | None) -> str:
    blake = hashlib.blake2b(canonical(header, message), digest_size=64).digest()
    return "BLAKE-512=" + base64.b64encode(blake).decode("ascii")


def signing_string(created: int, expires: int, digest_value: str) -> str:
    return f"(created): {created}\n(expires): {expires}\ndigest: {digest_value}"


def sign_envelope(
    header: Mapping[str, Any],
    message: Mapping[str, Any] | None,
    key: SigningKey,
    sender_id: str,
    now: datetime | None = None,
    ttl_seconds: int = 300,
) -> str:
    """The `signature` value for an envelope Sijill sends."""
    created = int((now or datetime.now(UTC)).timestamp())
    expires = created + ttl_seconds
    content = signing_string(created, expires, digest(header, message)).encode("utf-8")
    value = base64.b64encode(key.private_key.sign(content)).decode("ascii")
    return (
        f'Signature: namespace="{NAMESPACE}", kidId="{sender_id}|{key.kid}|{ALGORITHM}", '
        f'algorithm="{ALGORITHM}", created="{created}", expires="{expires}", '
        f'headers="{HEADERS}", signature="{value}"'
    )


def signer(settings: Settings, sender_id: str) -> Callable[[Mapping[str, Any], Mapping[str, Any] | None], str]:
    """Signs what Sijill sends as `sender_id`, with its current key (read again after a rotation)."""

    def sign(header: Mapping[str, Any], message: Mapping[str, Any] | None) -> str:
        key = load_signing_key(settings)
        return sign_envelope(header, message, key, sender_id, ttl_seconds=settings.dci_signature_ttl_seconds)

    return sign


def _params(text: str) -> dict[str, str]:
    start = _PREFIX.match(text)
    if start is None:
        raise _refused('signature is unparsable: it does not start with "Signature:"')
    params: dict[str, str] = {}
    position = start.end()
    while text[position:].strip():
        found = _PARAM.match(text, position)
        if found is None:
            raise _refused(f'signature is unparsable after character {position}: expected name="value" pairs')
        name, value = found.group(1), found.group(2)
        if name in params:
            raise _refused(f"signature is unparsable: {name} given twice")
        params[name] = value
        position = found.end()
    return params


def _seconds(params: dict[str, str], name: str) -> int:
    value = params[name]
    if not _SECONDS.fullmatch(value):
        raise _refused(f"signature is unparsable: {name} {_quote(value)} is not a Unix time in whole seconds")
    return int(value)


def parse_signature(text: str) -> ParsedSignature:
    """The fields of a signature string; refused (err.signature.invalid) when it does not follow
    the profile. Unknown parameters are ignored: a later profile may add some."""
    params = _params(text)
    absent = [name for name in ("kidId", "algorithm", "created", "expires", "signature") if name not in params]
    if absent:
        raise _refused(f"signature is unparsable: {', '.join(absent)} missing")
    if params.get("namespace", NAMESPACE) != NAMESPACE:
        raise _refused(f"signature namespace {_quote(params['namespace'])} is not {NAMESPACE!r}")
    algorithm = params["algorithm"]
    if algorithm.lower() != ALGORITHM:
        raise _refused(f"unknown signature algorithm {_quote(algorithm)}: only {ALGORITHM} is accepted")
    if " ".join(params.get("headers", HEADERS).split()) != HEADERS:
        raise _refused(f"signature headers {_quote(params['headers'])} are not {HEADERS!r}: nothing else is signed")
    # The sender id may itself hold "|"; the key id and algorithm may not (partners.py refuses such kids).
    parts = params["kidId"].rsplit("|", 2)
    if len(parts) != 3 or not all(parts):
        raise _refused(f"signature is unparsable: kidId {_quote(params['kidId'])} is not sender_id|key_id|algorithm")
    sender_id, kid, kid_algorithm = parts
    if kid_algorithm.lower() != ALGORITHM:
        raise _refused(f"unknown signature algorithm {_quote(kid_algorithm)} in kidId: only {ALGORITHM} is accepted")
    created, expires = _seconds(params, "created"), _seconds(params, "expires")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except binascii.Error:
        signature = b""
    if len(signature) != ED25519_SIGNATURE_BYTES:
        raise _refused("signature is unparsable: its value is not the base64 of a 64-byte Ed25519 signature")
    return ParsedSignature(sender_id, kid, ALGORITHM, created, expires, signature)


def _check(
    signature: str | None,
    header: Mapping[str, Any],
    message: Mapping[str, Any] | None,
    keys: list[dict[str, Any]],
    whose: str,
    now: datetime | None,
    skew_seconds: int,
) -> None:
    """Everything a signature must satisfy, for a partner's registered keys and for another
    registry's published ones alike; `whose` says whose keys, for the refusal."""
    if signature is None or not signature.strip():
        raise SignatureRefusedError(MISSING, "the message is not signed: a signature is required")
    parsed = parse_signature(signature)
    sender = header.get("sender_id")
    if parsed.sender_id != sender:
        shown = _quote(sender) if isinstance(sender, str) else "missing"
        raise _refused(f"sender {_quote(parsed.sender_id)} in kidId does not match header.sender_id ({shown})")
    jwk = next((k for k in keys if isinstance(k, dict) and k.get("kid") == parsed.kid), None)
    if jwk is None:
        raise _refused(f"key id {_quote(parsed.kid)} is not registered for {whose}")
    try:
        public = jwk_public_key(jwk)
    except ValueError:
        raise _refused(f"key {_quote(parsed.kid)} of {whose} is not an Ed25519 key") from None
    instant = (now or datetime.now(UTC)).timestamp()
    if parsed.expires <= parsed.created:
        raise _refused(f"signature expires ({parsed.expires}) is not after created ({parsed.created})")
    if parsed.expires - parsed.created > MAX_WINDOW_SECONDS:
        raise _refused(
            f"signature validity of {parsed.expires - parsed.created} s is longer than the "
            f"{MAX_WINDOW_SECONDS} s allowed"
        )
    if parsed.created > instant + skew_seconds:
        raise _refused(
            f"signature created {int(parsed.created - instant)} s in the future, beyond the "
            f"{skew_seconds} s clock skew allowed"
        )
    if instant > parsed.expires + skew_seconds:
        raise _refused(
            f"signature expired at {datetime.fromtimestamp(parsed.expires, UTC).isoformat()} "
            f"({int(instant - parsed.expires)} s ago, beyond the {skew_seconds} s clock skew allowed)"
        )
    try:
        content = signing_string(parsed.created, parsed.expires, digest(header, message)).encode("utf-8")
    except UnicodeEncodeError:
        raise _refused("the header or message holds text that is not valid Unicode (a lone surrogate)") from None
    try:
        public.verify(parsed.signature, content)
    except InvalidSignature:
        raise _refused(
            f"signature does not match the header and message (their BLAKE-512 digest) for key {_quote(parsed.kid)}"
        ) from None


def verify_envelope(
    signature: str | None,
    header: Mapping[str, Any],
    message: Mapping[str, Any] | None,
    partner: DciPartner,
    now: datetime | None = None,
    skew_seconds: int = 300,
) -> None:
    """Check a partner's request as its signature mode says: off, nothing (a signature present
    is ignored); verify, a signature present must hold; required, it must be present and hold."""
    mode = partner.signature_mode
    if mode == "off":
        return
    if mode == "verify" and (signature is None or not signature.strip()):
        return
    # Any other mode value is treated as "required": a corrupted setting must not open the door.
    _check(
        signature, header, message, list(partner.public_keys or []), f"client {partner.client_id}", now, skew_seconds
    )


def verify_with_jwks(
    signature: str | None,
    header: Mapping[str, Any],
    message: Mapping[str, Any] | None,
    jwks: Mapping[str, Any],
    now: datetime | None = None,
    skew_seconds: int = 300,
) -> None:
    """Check another registry's signed answer with the JWKS it publishes; a signature is always
    required here (a caller that accepts unsigned answers does not call this)."""
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise _refused("the JWKS has no keys list")
    _check(signature, header, message, keys, "the sender's published JWKS", now, skew_seconds)
