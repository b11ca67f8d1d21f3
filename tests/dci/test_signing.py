"""Envelope signatures (sijill.dci.signing) and Sijill's signing keys and JWKS (sijill.dci.keys)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.models import AuditEntry
from sijill.config import Settings, SettingsError, load_settings
from sijill.dci import keys
from sijill.dci.keys import SigningKey, jwks, key_id, load_signing_key, public_jwk, rotate_signing_key
from sijill.dci.models import DciPartner
from sijill.dci.signing import (
    INVALID,
    MISSING,
    SignatureRefusedError,
    canonical,
    digest,
    parse_signature,
    sign_envelope,
    signing_string,
    verify_envelope,
    verify_with_jwks,
)
from sijill.errors import SijillError

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
HEADER: dict[str, Any] = {
    "version": "1.0.0",
    "message_id": "m-0001",
    "message_ts": "2026-01-05T10:00:00+00:00",
    "action": "search",
    "sender_id": "cnss-amo",
    "total_count": 1,
}
MESSAGE: dict[str, Any] = {
    "transaction_id": "t-0001",
    "search_request": [
        {
            "reference_id": "r-1",
            "timestamp": "2026-01-05T10:00:00+00:00",
            "search_criteria": {"query_type": "idtype-value", "query": {"type": "UIN", "value": "1234567890"}},
            "locale": "fra",
        }
    ],
}


def new_key(kid: str | None = None) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    jwk = public_jwk(private.public_key())
    return SigningKey(kid=kid or jwk["kid"], private_key=private, public_jwk=jwk)


PARTNER_KEY = new_key()


def partner(mode: str = "required", registered: list[SigningKey] | None = None) -> DciPartner:
    chosen = [PARTNER_KEY] if registered is None else registered
    return DciPartner(client_id="cnss-amo", signature_mode=mode, public_keys=[k.public_jwk for k in chosen])


def signed(
    header: dict[str, Any] = HEADER,
    message: dict[str, Any] | None = MESSAGE,
    key: SigningKey = PARTNER_KEY,
    sender_id: str = "cnss-amo",
    ttl_seconds: int = 300,
) -> str:
    return sign_envelope(header, message, key, sender_id, now=NOW, ttl_seconds=ttl_seconds)


def refusal(call: Callable[[], None]) -> SignatureRefusedError:
    with pytest.raises(SignatureRefusedError) as caught:
        call()
    return caught.value


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    keys._CACHE.clear()
    return Settings(data_dir=tmp_path / "data")


# --- the profile ------------------------------------------------------------------------------


def test_a_signed_envelope_verifies_and_follows_the_profile_exactly() -> None:
    signature = signed()
    verify_envelope(signature, HEADER, MESSAGE, partner(), now=NOW)
    created = int(NOW.timestamp())
    pattern = (
        r'Signature: namespace="spdci", kidId="cnss-amo\|(?P<kid>[^|"]+)\|ed25519", algorithm="ed25519", '
        r'created="(?P<created>\d+)", expires="(?P<expires>\d+)", headers="\(created\) \(expires\) digest", '
        r'signature="(?P<sig>[A-Za-z0-9+/=]+)"'
    )
    found = re.fullmatch(pattern, signature)
    assert found is not None, signature
    assert found["kid"] == PARTNER_KEY.kid
    assert (int(found["created"]), int(found["expires"])) == (created, created + 300)
    # The signed bytes rebuilt from the profile's text, independently of the module.
    body = json.dumps({"header": HEADER, "message": MESSAGE}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    blake = base64.b64encode(hashlib.blake2b(body.encode("utf-8"), digest_size=64).digest()).decode()
    content = f"(created): {created}\n(expires): {created + 300}\ndigest: BLAKE-512={blake}"
    assert signing_string(created, created + 300, digest(HEADER, MESSAGE)) == content
    PARTNER_KEY.private_key.public_key().verify(base64.b64decode(found["sig"]), content.encode("utf-8"))


def test_an_absent_message_is_signed_as_null() -> None:
    assert canonical(HEADER, None).endswith(b',"message":null}')
    signature = signed(message=None)
    verify_envelope(signature, HEADER, None, partner(), now=NOW)
    assert "does not match" in refusal(lambda: verify_envelope(signature, HEADER, {}, partner(), now=NOW)).message


def test_the_canonical_form_does_not_depend_on_key_order() -> None:
    header = dict(reversed(list(HEADER.items())))
    request = MESSAGE["search_request"][0]
    message = {
        "search_request": [{k: request[k] for k in sorted(request, reverse=True)}],
        "transaction_id": MESSAGE["transaction_id"],
    }
    assert json.dumps(header) != json.dumps(HEADER)
    assert canonical(header, message) == canonical(HEADER, MESSAGE)
    verify_envelope(signed(), header, message, partner(), now=NOW)


def test_arabic_text_is_signed_as_utf8_not_escaped() -> None:
    message = {"name": "محمد"}
    assert "محمد".encode() in canonical(HEADER, message)
    verify_envelope(signed(message=message), HEADER, message, partner(), now=NOW)


def test_the_parser_tolerates_extra_whitespace_and_case() -> None:
    loose = signed().replace("Signature: ", "signature :  ").replace(", ", " ,\n   ").replace("=", " = ", 3)
    parsed = parse_signature(loose)
    assert (parsed.kid, parsed.sender_id, parsed.created) == (PARTNER_KEY.kid, "cnss-amo", int(NOW.timestamp()))
    verify_envelope(loose, HEADER, MESSAGE, partner(), now=NOW)


def test_the_standards_example_spacing_parses() -> None:
    verify_envelope(signed().replace("Signature: ", "Signature:  "), HEADER, MESSAGE, partner(), now=NOW)


# --- refusals ---------------------------------------------------------------------------------

OTHER_KEY = new_key()


def _tampered(field: str, value: Any) -> dict[str, Any]:
    return {**HEADER, field: value}


@pytest.mark.parametrize(
    ("case", "signature", "header", "message", "now", "expected"),
    [
        ("tampered header", signed(), _tampered("message_id", "m-0002"), MESSAGE, NOW, "does not match the header"),
        (
            "tampered message",
            signed(),
            HEADER,
            {**MESSAGE, "transaction_id": "t-0002"},
            NOW,
            "does not match the header and message",
        ),
        ("wrong key under the registered kid", signed(key=new_key(PARTNER_KEY.kid)), HEADER, MESSAGE, NOW, "match"),
        ("unknown kid", signed(key=OTHER_KEY), HEADER, MESSAGE, NOW, "is not registered for client cnss-amo"),
        ("expired", signed(), HEADER, MESSAGE, NOW + timedelta(seconds=601), "expired at 2026-01-05T10:05:00"),
        ("created in the future", signed(), HEADER, MESSAGE, NOW - timedelta(seconds=301), "in the future"),
        ("wrong sender", signed(sender_id="openspp"), HEADER, MESSAGE, NOW, "does not match header.sender_id"),
        ("header without sender", signed(), {**HEADER, "sender_id": None}, MESSAGE, NOW, "(missing)"),
        ("garbage", "hello world", HEADER, MESSAGE, NOW, 'does not start with "Signature:"'),
        ("no pairs", "Signature: kidId=cnss-amo", HEADER, MESSAGE, NOW, "expected name="),
        (
            "unknown algorithm",
            signed().replace('algorithm="ed25519"', 'algorithm="rsa-sha256"'),
            HEADER,
            MESSAGE,
            NOW,
            "unknown signature algorithm 'rsa-sha256'",
        ),
        ("unknown algorithm in kidId", signed().replace("|ed25519", "|rsa"), HEADER, MESSAGE, NOW, "in kidId"),
        (
            "other headers",
            signed().replace('headers="(created) (expires) digest"', 'headers="digest"'),
            HEADER,
            MESSAGE,
            NOW,
            "signature headers 'digest'",
        ),
        ("other namespace", signed().replace('"spdci"', '"x"'), HEADER, MESSAGE, NOW, "namespace"),
        (
            "kidId without parts",
            re.sub(r'kidId="[^"]*"', 'kidId="cnss-amo"', signed()),
            HEADER,
            MESSAGE,
            NOW,
            "sender_id|key_id|algorithm",
        ),
        ("created not a number", signed().replace('created="', 'created="x'), HEADER, MESSAGE, NOW, "whole seconds"),
        ("duplicate pair", signed() + ', created="1"', HEADER, MESSAGE, NOW, "created given twice"),
        ("missing pair", re.sub(r', expires="\d+"', "", signed()), HEADER, MESSAGE, NOW, "expires missing"),
        (
            "signature not base64",
            re.sub(r'signature="[^"]*"', 'signature="%%%"', signed()),
            HEADER,
            MESSAGE,
            NOW,
            "64-byte",
        ),
        ("validity too long", signed(ttl_seconds=7200), HEADER, MESSAGE, NOW, "longer than the 3600 s"),
        ("expires before created", signed(ttl_seconds=-5), HEADER, MESSAGE, NOW, "is not after created"),
    ],
)
def test_every_flaw_is_refused_as_invalid_naming_what_failed(
    case: str, signature: str, header: dict[str, Any], message: dict[str, Any], now: datetime, expected: str
) -> None:
    refused = refusal(lambda: verify_envelope(signature, header, message, partner(), now=now))
    assert refused.code == INVALID, case
    assert expected in refused.message, (case, refused.message)


def test_the_skew_is_allowed_up_to_the_second() -> None:
    signature = signed()
    verify_envelope(signature, HEADER, MESSAGE, partner(), now=NOW + timedelta(seconds=600))
    verify_envelope(signature, HEADER, MESSAGE, partner(), now=NOW - timedelta(seconds=300))
    verify_envelope(signature, HEADER, MESSAGE, partner(), now=NOW + timedelta(seconds=30), skew_seconds=0)
    late = refusal(
        lambda: verify_envelope(signature, HEADER, MESSAGE, partner(), now=NOW + timedelta(seconds=301), skew_seconds=0)
    )
    assert "expired" in late.message


def test_a_lone_surrogate_is_refused_not_a_crash() -> None:
    refused = refusal(lambda: verify_envelope(signed(), HEADER, {"name": "\ud800"}, partner(), now=NOW))
    assert refused.code == INVALID and "not valid Unicode" in refused.message


def test_a_removed_key_no_longer_verifies() -> None:
    refused = refusal(lambda: verify_envelope(signed(), HEADER, MESSAGE, partner(registered=[OTHER_KEY]), now=NOW))
    assert "not registered" in refused.message


# --- modes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("signature", [None, "", "   ", "garbage", 'Signature: x="1"'])
def test_mode_off_checks_nothing(signature: str | None) -> None:
    verify_envelope(signature, HEADER, MESSAGE, partner("off"), now=NOW)
    verify_envelope(signed(), _tampered("message_id", "x"), MESSAGE, partner("off"), now=NOW)


def test_mode_verify_checks_a_signature_only_when_present() -> None:
    for absent in (None, "", "  "):
        verify_envelope(absent, HEADER, MESSAGE, partner("verify"), now=NOW)
    verify_envelope(signed(), HEADER, MESSAGE, partner("verify"), now=NOW)
    refused = refusal(lambda: verify_envelope(signed(), _tampered("action", "x"), MESSAGE, partner("verify"), now=NOW))
    assert refused.code == INVALID


@pytest.mark.parametrize("absent", [None, "", "  "])
@pytest.mark.parametrize("mode", ["required", "strange"])
def test_mode_required_refuses_a_missing_signature(mode: str, absent: str | None) -> None:
    refused = refusal(lambda: verify_envelope(absent, HEADER, MESSAGE, partner(mode), now=NOW))
    assert refused.code == MISSING and "not signed" in refused.message
    no_keys = refusal(lambda: verify_envelope(signed(), HEADER, MESSAGE, partner(mode, registered=[]), now=NOW))
    assert no_keys.code == INVALID


# --- property ---------------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)


def _strings(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, str):
        return [path] if value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _strings(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _strings(v, (*path, i))]
    return []


def _replaced(value: Any, path: tuple[Any, ...], change: Callable[[str], str]) -> Any:
    if not path:
        return change(value)
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, change)}
    return [_replaced(v, rest, change) if i == head else v for i, v in enumerate(value)]


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    body=st.dictionaries(TEXT, JSON_VALUES, max_size=5),
    anchor=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12),
    data=st.data(),
)
def test_any_json_message_verifies_and_any_one_character_change_fails(
    body: dict[str, Any], anchor: str, data: st.DataObject
) -> None:
    message = {**body, "anchor": anchor}
    signature = signed(message=message)
    verify_envelope(signature, HEADER, json.loads(json.dumps(message)), partner(), now=NOW)
    path = data.draw(st.sampled_from(_strings(message)))
    target: Any = message
    for step in path:
        target = target[step]
    position = data.draw(st.integers(0, len(target) - 1))
    char = data.draw(st.characters(exclude_categories=["Cs"]).filter(lambda c: c != target[position]))
    changed = _replaced(message, path, lambda s: s[:position] + char + s[position + 1 :])
    refused = refusal(lambda: verify_envelope(signature, HEADER, changed, partner(), now=NOW))
    assert refused.code == INVALID and "does not match" in refused.message


# --- Sijill's key, JWKS and rotation -----------------------------------------------------------


def test_the_key_file_is_created_once_with_mode_0600_and_reused(settings: Settings) -> None:
    path = settings.data_dir / "dci" / "signing-key.pem"
    assert not path.exists()
    first = load_signing_key(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert b"BEGIN PRIVATE KEY" in content
    keys._CACHE.clear()
    again = load_signing_key(settings)
    assert again.kid == first.kid and path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == ["signing-key.pem"]


def test_concurrent_first_uses_in_threads_end_with_one_key(settings: Settings) -> None:
    barrier = threading.Barrier(8)
    kids: list[str] = []

    def start() -> None:
        barrier.wait()
        kids.append(load_signing_key(settings).kid)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    folder = settings.data_dir / "dci"
    assert len(kids) == 8 and len(set(kids)) == 1
    assert [p.name for p in folder.iterdir()] == ["signing-key.pem"]
    keys._CACHE.clear()
    assert load_signing_key(settings).kid == kids[0]


def test_concurrent_first_uses_in_processes_end_with_one_key(settings: Settings) -> None:
    code = "from sijill.config import Settings; from sijill.dci.keys import load_signing_key; import sys; "
    code += "print(load_signing_key(Settings(data_dir=sys.argv[1])).kid)"
    runs = [
        subprocess.Popen([sys.executable, "-c", code, str(settings.data_dir)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    kids = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert len(kids) == 1 and kids == {load_signing_key(settings).kid}
    assert [p.name for p in (settings.data_dir / "dci").iterdir()] == ["signing-key.pem"]


def test_the_jwks_publishes_the_public_key_with_a_stable_kid(settings: Settings) -> None:
    key = load_signing_key(settings)
    published = jwks(settings)
    assert len(published["keys"]) == 1
    jwk = published["keys"][0]
    assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
    raw = key.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert base64.urlsafe_b64decode(jwk["x"] + "=") == raw and "=" not in jwk["x"]
    expected_kid = base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:16]).rstrip(b"=").decode()
    assert jwk["kid"] == expected_kid == key.kid == key_id(key.private_key.public_key())
    assert "d" not in jwk
    keys._CACHE.clear()
    assert jwks(settings) == published
    # What a partner does with it: check Sijill's signed answer.
    answer_header = {**HEADER, "sender_id": "sijill", "action": "on-search"}
    signature = sign_envelope(answer_header, MESSAGE, key, "sijill", now=NOW)
    verify_with_jwks(signature, answer_header, MESSAGE, published, now=NOW)


def test_verify_with_jwks_refuses_as_the_partner_side_does() -> None:
    published = {"keys": [{"kty": "RSA", "kid": "rsa-1", "n": "x", "e": "AQAB"}, PARTNER_KEY.public_jwk]}
    verify_with_jwks(signed(), HEADER, MESSAGE, published, now=NOW)
    assert refusal(lambda: verify_with_jwks(None, HEADER, MESSAGE, published, now=NOW)).code == MISSING
    unknown = refusal(lambda: verify_with_jwks(signed(key=OTHER_KEY), HEADER, MESSAGE, published, now=NOW))
    assert "not registered for the sender's published JWKS" in unknown.message
    rsa = refusal(lambda: verify_with_jwks(signed(key=new_key("rsa-1")), HEADER, MESSAGE, published, now=NOW))
    assert "is not an Ed25519 key" in rsa.message
    assert "no keys list" in refusal(lambda: verify_with_jwks(signed(), HEADER, MESSAGE, {}, now=NOW)).message
    late = refusal(lambda: verify_with_jwks(signed(), HEADER, MESSAGE, published, now=NOW + timedelta(hours=1)))
    assert "expired" in late.message


def test_rotation_keeps_the_old_key_published_as_a_public_key_only(
    settings: Settings, session: Session, system_actor: Actor
) -> None:
    old = load_signing_key(settings)
    old_signature = sign_envelope(HEADER, MESSAGE, old, "cnss-amo", now=NOW)
    new = rotate_signing_key(settings=settings, session=session, actor=system_actor)
    session.commit()
    assert new.kid != old.kid and load_signing_key(settings).kid == new.kid
    path = settings.data_dir / "dci" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    retired = settings.data_dir / "dci" / "retired" / f"{old.kid}.pem"
    assert b"PUBLIC KEY" in retired.read_bytes() and b"PRIVATE" not in retired.read_bytes()
    published = jwks(settings)
    assert [k["kid"] for k in published["keys"]] == [new.kid, old.kid]
    verify_with_jwks(old_signature, HEADER, MESSAGE, published, now=NOW)
    third = rotate_signing_key(settings=settings, session=session, actor=system_actor)
    session.commit()
    assert [k["kid"] for k in jwks(settings)["keys"]] == [third.kid, new.kid, old.kid]
    actions = session.execute(select(AuditEntry.entity_id).where(AuditEntry.action == "dci.signing_key_rotate"))
    assert sorted(str(kid) for kid in actions.scalars()) == sorted([new.kid, third.kid])


def test_a_stray_file_among_the_retired_keys_is_skipped(settings: Settings) -> None:
    key = load_signing_key(settings)
    retired = settings.data_dir / "dci" / "retired"
    retired.mkdir()
    (retired / "junk.pem").write_text("not a key")
    private = Ed25519PrivateKey.generate()
    (retired / "kept.pem").write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    published = jwks(settings)["keys"]
    assert [k["kid"] for k in published] == [key.kid, key_id(private.public_key())]
    assert all("d" not in k for k in published)


def test_a_configured_key_file_is_used_never_created_nor_rotated(
    settings: Settings, tmp_path: Path, session: Session, system_actor: Actor
) -> None:
    configured = tmp_path / "secret" / "dci.pem"
    chosen = settings.model_copy(update={"dci_signing_key_file": configured})
    with pytest.raises(SijillError) as missing:
        load_signing_key(chosen)
    assert missing.value.code == "dci_signing_key_invalid" and not configured.exists()
    configured.parent.mkdir()
    configured.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SijillError) as garbage:
        load_signing_key(chosen)
    assert "Ed25519" in garbage.value.message.fr
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    configured.write_bytes(pem)
    assert load_signing_key(chosen).kid == key_id(private.public_key())
    assert not (settings.data_dir / "dci" / "signing-key.pem").exists()
    with pytest.raises(SijillError) as refused:
        rotate_signing_key(settings=chosen, session=session, actor=system_actor)
    assert refused.value.code == "dci_signing_key_managed" and configured.read_bytes() == pem


def test_signature_settings_have_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIJILL_DCI_SIGNATURE_TTL_SECONDS", raising=False)
    monkeypatch.delenv("SIJILL_DCI_SIGNING_KEY_FILE", raising=False)
    defaults = load_settings()
    assert (defaults.dci_signature_ttl_seconds, defaults.dci_signing_key_file) == (300, None)
    monkeypatch.setenv("SIJILL_DCI_SIGNING_KEY_FILE", "etc/dci.pem")
    assert load_settings().dci_signing_key_file == Path("etc/dci.pem")
    for bad in ("29", "3601", "soon"):
        monkeypatch.setenv("SIJILL_DCI_SIGNATURE_TTL_SECONDS", bad)
        with pytest.raises(SettingsError) as caught:
            load_settings()
        assert "SIJILL_DCI_SIGNATURE_TTL_SECONDS" in str(caught.value)
