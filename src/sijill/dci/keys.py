"""Sijill's Ed25519 key for signing DCI messages, the retired keys kept beside it, and the JWKS
that publishes them (docs/dci-signatures.md).

The key is a PEM file (PKCS8), created on first use under the data folder unless the operator
names one (SIJILL_DCI_SIGNING_KEY_FILE). Retired keys are kept as public PEM files only: a
partner still needs them to check messages signed before a rotation, while Sijill never signs
with them again, so their private halves would only be something more to steal.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.config import Settings
from sijill.errors import SijillError, Text

log = logging.getLogger(__name__)

RAW_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey
    public_jwk: dict[str, str]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """RFC 7515 base64url without padding; raises ValueError on anything else, so that one key
    has one spelling and a kid can never be matched under two."""
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise ValueError("not base64url without padding")
    if len(text) % 4 == 1:
        raise ValueError("not a base64url length")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Derived from the key itself, so every process and every partner computes the same kid."""
    return b64url(hashlib.sha256(_raw(public_key)).digest()[:16])


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(_raw(public_key)),
        "kid": key_id(public_key),
        "use": "sig",
        "alg": "EdDSA",
    }


def jwk_public_key(jwk: dict[str, Any]) -> Ed25519PublicKey:
    """The Ed25519 public key of an OKP JWK; ValueError when it is not one."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an OKP Ed25519 key")
    x = jwk.get("x")
    raw = b64url_decode(x) if isinstance(x, str) else b""
    if len(raw) != RAW_KEY_BYTES:
        raise ValueError("x is not 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def signing_key_path(settings: Settings) -> Path:
    return settings.dci_signing_key_file or settings.data_dir / "dci" / "signing-key.pem"


def retired_dir(settings: Settings) -> Path:
    return settings.data_dir / "dci" / "retired"


def _key_file_error(path: Path, problem: Text) -> SijillError:
    return SijillError(
        code="dci_signing_key_invalid",
        field="dci_signing_key_file",
        value=str(path),
        status=500,
        message=problem,
        fix=Text(
            "ضعوا مفتاح Ed25519 بصيغة PEM (PKCS8) غير مشفر، أو احذفوا الإعداد لينشئ Sijill مفتاحا",
            "Placez une clé Ed25519 PEM (PKCS8) non chiffrée, ou retirez le paramètre pour que Sijill en crée une",
            "provide an unencrypted Ed25519 PKCS8 PEM, or unset SIJILL_DCI_SIGNING_KEY_FILE to let Sijill create one",
        ),
    )


def _read_private(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError:
        raise _key_file_error(
            path,
            Text(
                f"تعذرت قراءة ملف مفتاح التوقيع: {path}",
                f"fichier de clé de signature illisible : {path}",
                f"cannot read the signing key file {path}",
            ),
        ) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise _key_file_error(
            path,
            Text(
                f"الملف ليس مفتاح Ed25519 خاصا بصيغة PEM: {path}",
                f"le fichier n'est pas une clé privée Ed25519 PEM : {path}",
                f"{path} is not an unencrypted Ed25519 private key in PEM",
            ),
        )
    return key


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_temp(folder: Path, data: bytes, mode: int) -> Path:
    """A new file beside its final place (same file system, so link and rename are atomic),
    with its mode set before any byte is written."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = folder / f".tmp-{os.getpid()}-{secrets.token_hex(8)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return temp


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_once(path: Path) -> None:
    """Put a new key at `path` unless one is already there. A hard link never replaces an
    existing file, so when several processes start together exactly one key wins and the
    others read it; a reader never sees a half-written file."""
    temp = _write_temp(path.parent, _private_pem(Ed25519PrivateKey.generate()), 0o600)
    try:
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    _sync_folder(path.parent)


# Per path: the file's identity when read, and its key. A rotation by another process replaces
# the file (new inode), which the next call sees without a restart.
_CACHE: dict[Path, tuple[tuple[int, int, int], SigningKey]] = {}


def _signing_key(private: Ed25519PrivateKey) -> SigningKey:
    public = private.public_key()
    return SigningKey(kid=key_id(public), private_key=private, public_jwk=public_jwk(public))


def load_signing_key(settings: Settings) -> SigningKey:
    """Sijill's current signing key; the default file is created on first use."""
    path = signing_key_path(settings).absolute()
    try:
        found = path.stat()
    except FileNotFoundError:
        if settings.dci_signing_key_file is not None:
            # Inventing a key where the operator said one is would publish a key nobody expects.
            raise _key_file_error(
                path,
                Text(
                    f"ملف مفتاح التوقيع غير موجود: {path}",
                    f"fichier de clé de signature absent : {path}",
                    f"the signing key file {path} does not exist",
                ),
            ) from None
        _create_once(path)
        found = path.stat()
    identity = (found.st_dev, found.st_ino, found.st_mtime_ns)
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == identity:
        return cached[1]
    key = _signing_key(_read_private(path))
    _CACHE[path] = (identity, key)
    return key


def _retired_public(file: Path) -> Ed25519PublicKey | None:
    try:
        data = file.read_bytes()
    except OSError:
        return None
    for loader in (serialization.load_pem_public_key, _load_private_pem):
        try:
            key = loader(data)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if isinstance(key, Ed25519PrivateKey):
            return key.public_key()
        if isinstance(key, Ed25519PublicKey):
            return key
    return None


def _load_private_pem(data: bytes) -> object:
    return serialization.load_pem_private_key(data, password=None)


def retired_keys(settings: Settings) -> list[Ed25519PublicKey]:
    """The retired public keys, newest first. A file that is not an Ed25519 PEM is skipped with a
    warning: one stray file must not take the whole JWKS down."""
    folder = retired_dir(settings)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.pem"), key=lambda f: (-f.stat().st_mtime_ns, f.name))
    keys = []
    for file in files:
        key = _retired_public(file)
        if key is None:
            log.warning("skipping %s: not an Ed25519 PEM key", file.name)
        else:
            keys.append(key)
    return keys


def jwks(settings: Settings) -> dict[str, list[dict[str, str]]]:
    """Sijill's published keys: the current one first, then the retired ones."""
    current = load_signing_key(settings)
    keys = [dict(current.public_jwk)]
    seen = {current.kid}
    for public in retired_keys(settings):
        jwk = public_jwk(public)
        if jwk["kid"] not in seen:
            seen.add(jwk["kid"])
            keys.append(jwk)
    return {"keys": keys}


@contextlib.contextmanager
def _rotation_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".rotate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def rotate_signing_key(*, settings: Settings, session: Session, actor: Actor) -> SigningKey:
    """Retire the current key (its public half stays in the JWKS) and make a new current one.

    The old key is retired before the new one takes its place, so a crash in between leaves it
    both current and retired (the JWKS lists it once), never lost."""
    actor.require(Permission.USER_ADMIN)
    if settings.dci_signing_key_file is not None:
        raise SijillError(
            code="dci_signing_key_managed",
            field="dci_signing_key_file",
            value=str(settings.dci_signing_key_file),
            message=Text(
                "مفتاح التوقيع مُدار خارج Sijill (SIJILL_DCI_SIGNING_KEY_FILE)",
                "La clé de signature est gérée hors de Sijill (SIJILL_DCI_SIGNING_KEY_FILE)",
                "the signing key is managed outside Sijill (SIJILL_DCI_SIGNING_KEY_FILE)",
            ),
            fix=Text(
                "استبدلوا الملف وضعوا المفتاح العام القديم في data_dir/dci/retired",
                "Remplacez le fichier et placez l'ancienne clé publique dans data_dir/dci/retired",
                "replace the file yourself and put the old public key in data_dir/dci/retired",
            ),
        )
    path = signing_key_path(settings).absolute()
    with _rotation_lock(path.parent):
        old = load_signing_key(settings)
        public_pem = old.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        folder = retired_dir(settings)
        os.replace(_write_temp(folder, public_pem, 0o644), folder / f"{old.kid}.pem")
        _sync_folder(folder)
        os.replace(_write_temp(path.parent, _private_pem(Ed25519PrivateKey.generate()), 0o600), path)
        _sync_folder(path.parent)
        new = load_signing_key(settings)
    audit.record(session, actor, "dci.signing_key_rotate", "dci_signing_key", new.kid, None, {"retired": old.kid})
    return new
