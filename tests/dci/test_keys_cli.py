"""`sijill dci partner-key-add | partner-key-remove | partner-signatures | jwks | key-rotate`."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from sijill.access.models import AuditEntry
from sijill.db import make_engine, make_sessionmaker
from sijill.dci.models import DciPartner
from sijill.dci.partners import partner_jwk as check_jwk
from sijill.errors import SijillError
from tests.test_cli import sijill


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def partner_jwk(kid: str = "cnss-2026-01") -> dict[str, Any]:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid, "alg": "EdDSA", "use": "sig"}


def stored(url: str) -> tuple[list[dict[str, Any]] | None, str, list[str]]:
    """The partner's keys and mode as the database holds them, and the audit actions so far."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            row = session.execute(select(DciPartner).where(DciPartner.client_id == "cnss-amo")).scalar_one()
            audited = select(AuditEntry.action).where(AuditEntry.action.like("dci.%")).order_by(AuditEntry.seq)
            actions = session.execute(audited).scalars()
            return row.public_keys, row.signature_mode, list(actions)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the partner cnss-amo, made once: each CLI call costs seconds."""
    path = tmp_path_factory.mktemp("dci-keys") / "template.db"
    url = f"sqlite:///{path}"
    assert sijill("db", "upgrade", db_url=url).returncode == 0
    added = sijill("dci", "partner-add", "--client-id", "cnss-amo", "--name", "CNSS", "--preset", "all", db_url=url)
    assert added.returncode == 0, added.stderr
    return path


@pytest.fixture
def url(registered: Path, tmp_path: Path) -> str:
    target = tmp_path / "dci.db"
    shutil.copyfile(registered, target)
    return f"sqlite:///{target}"


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def test_keys_and_modes_are_managed_listed_and_audited(url: str, tmp_path: Path) -> None:
    jwk = partner_jwk()
    # Fields signatures do not use are not kept.
    added = sijill(
        "dci",
        "partner-key-add",
        "--client-id",
        "cnss-amo",
        "--jwk",
        write(tmp_path, "k.json", {**jwk, "x5t": "z"}),
        db_url=url,
    )
    assert added.returncode == 0, added.stderr
    assert "cnss-2026-01" in added.stdout
    assert stored(url)[0] == [jwk]
    mode = sijill("dci", "partner-signatures", "--client-id", "cnss-amo", "--mode", "required", db_url=url)
    assert mode.returncode == 0, mode.stderr
    row = next(line for line in sijill("dci", "partners", db_url=url).stdout.splitlines() if "cnss-amo" in line)
    assert "required" in row.split() and "1" in row.split()
    second = partner_jwk("cnss-2026-07")
    second.pop("alg"), second.pop("use")
    assert (
        sijill(
            "dci", "partner-key-add", "--client-id", "cnss-amo", "--jwk", write(tmp_path, "k2.json", second), db_url=url
        ).returncode
        == 0
    )
    removed = sijill("dci", "partner-key-remove", "--client-id", "cnss-amo", "--kid", "cnss-2026-01", db_url=url)
    assert removed.returncode == 0, removed.stderr
    keys, signature_mode, actions = stored(url)
    assert [k["kid"] for k in keys or []] == ["cnss-2026-07"] and signature_mode == "required"
    assert keys is not None and keys[0]["alg"] == "EdDSA"
    assert actions == [
        "dci.partner_register",
        "dci.partner_key_add",
        "dci.partner_signature_mode",
        "dci.partner_key_add",
        "dci.partner_key_remove",
    ]


BAD_JWKS: list[tuple[str, Any, str]] = [
    ("private key", {**partner_jwk(), "d": "c2VjcmV0LXByaXZhdGUtc2VlZC0xMjM0NTY3ODkwMTI"}, "(d)"),
    ("wrong curve", {**partner_jwk(), "crv": "X25519"}, "X25519"),
    ("EC key", {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "kid": "ec"}, "kty=EC"),
    ("short x", {**partner_jwk(), "x": b64url(b"\x01" * 31)}, "32"),
    ("padded x", {**partner_jwk(), "x": partner_jwk()["x"] + "="}, "base64url"),
    ("x not text", {**partner_jwk(), "x": 12}, "base64url"),
    ("no kid", {k: v for k, v in partner_jwk().items() if k != "kid"}, "kid"),
    ("kid with a bar", partner_jwk("a|b"), "kid"),
    ("kid with a quote", partner_jwk('a"b'), "kid"),
    ("kid too long", partner_jwk("k" * 100), "99"),
    ("other alg", {**partner_jwk(), "alg": "ES256"}, "ES256"),
    ("encryption key", {**partner_jwk(), "use": "enc"}, "sig"),
    ("not an object", [1, 2], "JSON"),
]


@pytest.mark.parametrize(("case", "content", "named"), BAD_JWKS, ids=[case for case, _, _ in BAD_JWKS])
def test_a_bad_jwk_is_refused_naming_the_problem(case: str, content: Any, named: str) -> None:
    with pytest.raises(SijillError) as caught:
        check_jwk(content)
    assert caught.value.field == "jwk"
    message = caught.value.message
    assert named in message.ar and named in message.fr and named in message.en
    assert "c2VjcmV0" not in json.dumps(caught.value.as_dict())


def test_a_bad_jwk_on_the_command_line_exits_2_and_writes_nothing(url: str, tmp_path: Path) -> None:
    for case, content, named in [BAD_JWKS[0], BAD_JWKS[1], ("not JSON", "{kty: OKP", "JSON")]:
        refused = sijill(
            "dci", "partner-key-add", "--client-id", "cnss-amo", "--jwk", write(tmp_path, "k.json", content), db_url=url
        )
        assert refused.returncode == 2, (case, refused.stdout)
        assert named in refused.stderr and "Traceback" not in refused.stderr, (case, refused.stderr)
        # The private part is a secret: it never appears in what is printed.
        assert "c2VjcmV0" not in refused.stderr + refused.stdout
    assert stored(url) == (None, "off", ["dci.partner_register"])


def test_other_refusals_exit_2_and_write_nothing(url: str, tmp_path: Path) -> None:
    jwk_file = write(tmp_path, "k.json", partner_jwk())
    for args, named in (
        (("partner-signatures", "--client-id", "cnss-amo", "--mode", "required"), "partner-key-add"),
        (("partner-signatures", "--client-id", "cnss-amo", "--mode", "always"), "always"),
        (("partner-signatures", "--client-id", "nobody", "--mode", "verify"), "nobody"),
        (("partner-key-add", "--client-id", "nobody", "--jwk", jwk_file), "nobody"),
        (("partner-key-add", "--client-id", "cnss-amo", "--jwk", str(tmp_path / "absent.json")), "absent.json"),
        (("partner-key-remove", "--client-id", "cnss-amo", "--kid", "cnss-2026-01"), "cnss-2026-01"),
        (("partner-key-remove", "--client-id", "nobody", "--kid", "cnss-2026-01"), "nobody"),
    ):
        refused = sijill("dci", *args, db_url=url)
        assert refused.returncode == 2, (args, refused.stdout)
        assert named in refused.stderr and "Traceback" not in refused.stderr, (args, refused.stderr)
    assert stored(url) == (None, "off", ["dci.partner_register"])
    assert sijill("dci", "partner-key-add", "--client-id", "cnss-amo", "--jwk", jwk_file, db_url=url).returncode == 0
    duplicate = sijill("dci", "partner-key-add", "--client-id", "cnss-amo", "--jwk", jwk_file, db_url=url)
    assert duplicate.returncode == 2 and "cnss-2026-01" in duplicate.stderr
    assert (
        sijill("dci", "partner-signatures", "--client-id", "cnss-amo", "--mode", "required", db_url=url).returncode == 0
    )
    last = sijill("dci", "partner-key-remove", "--client-id", "cnss-amo", "--kid", "cnss-2026-01", db_url=url)
    assert last.returncode == 2 and "partner-signatures" in last.stderr
    keys, mode, actions = stored(url)
    assert [k["kid"] for k in keys or []] == ["cnss-2026-01"] and mode == "required"
    assert actions == ["dci.partner_register", "dci.partner_key_add", "dci.partner_signature_mode"]


def test_jwks_is_stable_and_key_rotate_keeps_the_old_key(url: str, tmp_path: Path) -> None:
    env = {"SIJILL_DATA_DIR": str(tmp_path / "data")}
    first = sijill("dci", "jwks", db_url=url, extra_env=env)
    assert first.returncode == 0, first.stderr
    published = json.loads(first.stdout)
    assert [k["kty"] for k in published["keys"]] == ["OKP"]
    old_kid = published["keys"][0]["kid"]
    assert json.loads(sijill("dci", "jwks", db_url=url, extra_env=env).stdout) == published
    rotated = sijill("dci", "key-rotate", db_url=url, extra_env=env)
    assert rotated.returncode == 0, rotated.stderr
    new_kid = rotated.stdout.strip()
    assert new_kid not in ("", old_kid)
    after = json.loads(sijill("dci", "jwks", db_url=url, extra_env=env).stdout)
    assert [k["kid"] for k in after["keys"]] == [new_kid, old_kid]
    assert after["keys"][1] == published["keys"][0]
    assert "dci.signing_key_rotate" in stored(url)[2]
    managed = {**env, "SIJILL_DCI_SIGNING_KEY_FILE": str(tmp_path / "data" / "dci" / "signing-key.pem")}
    refused = sijill("dci", "key-rotate", db_url=url, extra_env=managed)
    assert refused.returncode == 2 and "SIJILL_DCI_SIGNING_KEY_FILE" in refused.stderr
    assert [k["kid"] for k in json.loads(sijill("dci", "jwks", db_url=url, extra_env=env).stdout)["keys"]] == [
        new_kid,
        old_kid,
    ]
