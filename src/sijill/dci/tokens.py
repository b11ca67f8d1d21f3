"""Bearer tokens of the DCI interface (OAuth2 client credentials): signed JWTs for one audience,
so that a token of the staff API does not open the DCI interface, nor the other way round."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import jwt

AUDIENCE = "sijill-dci"
ISSUER = "sijill"
ALGORITHM = "HS256"


class InvalidPartnerTokenError(Exception):
    """Expired, forged, for another audience or malformed: answered 401 without saying which."""


def issue_partner_token(client_id: str, scopes: list[str], secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": client_id,
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "scope": " ".join(scopes),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_partner_token(token: str, secret: str) -> tuple[str, frozenset[str]]:
    """The client id and the scopes the token was issued for."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidPartnerTokenError(type(exc).__name__) from None
    subject, scope = claims.get("sub"), claims.get("scope", "")
    if not isinstance(subject, str) or not subject or not isinstance(scope, str):
        raise InvalidPartnerTokenError("bad claims")
    return subject, frozenset(scope.split())
