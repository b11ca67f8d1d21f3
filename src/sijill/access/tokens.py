"""Short-lived signed bearer tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

ALGORITHM = "HS256"
ISSUER = "sijill"


class InvalidTokenError(Exception):
    """Expired, forged or malformed: the caller answers 401 without saying which."""


def issue_token(username: str, secret: str, minutes: int, now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": username,
        "iss": ISSUER,
        "iat": int(moment.timestamp()),
        "exp": int((moment + timedelta(minutes=minutes)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> str:
    """Return the username the token was issued to."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(type(exc).__name__) from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError("no subject")
    return subject
