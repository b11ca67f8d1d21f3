"""Signatures over HTTP: Sijill signs its sync answers (checkable with the keys it publishes),
and a partner whose registration requires signed requests is refused unsigned or altered ones,
sync and async alike, before anything is run or recorded."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.api.app import create_app
from sijill.db import transaction
from sijill.dci.keys import SigningKey, public_jwk
from sijill.dci.models import DciExchange
from sijill.dci.partners import add_partner_key, set_signature_mode
from sijill.dci.signing import SignatureRefusedError, sign_envelope, verify_with_jwks
from tests.conftest import SYSTEM
from tests.dci.api_support import bearer, partner, quiet_settings, search_envelope, search_item, token
from tests.dci.openapi_support import check_answer
from tests.factories import ANNEX_A, PERSONS, seed_world

SEARCH = "/dci/registry/sync/search"
ASYNC_SEARCH = "/dci/registry/search"


@pytest.fixture
def dci(db_url: str, engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[TestClient]:
    with transaction(session_factory) as session:
        seed_world(session, SYSTEM)
    with TestClient(create_app(quiet_settings(db_url, tmp_path), engine)) as client:
        yield client


@pytest.fixture
def partner_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    jwk = public_jwk(private.public_key())
    return SigningKey(kid=jwk["kid"], private_key=private, public_jwk=jwk)


def _strict_partner(factory: sessionmaker[Session], key: SigningKey) -> str:
    secret = partner(factory, callback_prefixes=["http://127.0.0.1:9/callback/"])
    with transaction(factory) as session:
        add_partner_key(session=session, actor=SYSTEM, client_id="cnss-amo", jwk=key.public_jwk)
        set_signature_mode(session=session, actor=SYSTEM, client_id="cnss-amo", mode="required")
    return secret


def _signed(envelope: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    sender = envelope["header"]["sender_id"]
    return {**envelope, "signature": sign_envelope(envelope["header"], envelope["message"], key, sender)}


def _envelope(**header_changes: Any) -> dict[str, Any]:
    return search_envelope(
        search_item("idtype-value", {"type": "IDCS", "value": PERSONS[ANNEX_A][0]}), **header_changes
    )


def _exchanges(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as session:
        return int(session.execute(select(func.count()).select_from(DciExchange)).scalar_one())


def test_sync_answers_are_signed_with_a_published_key(dci: TestClient, session_factory: sessionmaker[Session]) -> None:
    issued = token(dci, "cnss-amo", partner(session_factory))
    answer = dci.post(SEARCH, json=_envelope(), headers=bearer(issued))
    assert answer.status_code == 200
    body = answer.json()
    published = dci.get("/dci/.well-known/jwks.json")
    assert published.status_code == 200
    [key] = published.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["use"] == "sig" and "d" not in key
    verify_with_jwks(body["signature"], body["header"], body["message"], published.json())
    altered = copy.deepcopy(body)
    altered["message"]["transaction_id"] = "another"
    with pytest.raises(SignatureRefusedError):
        verify_with_jwks(altered["signature"], altered["header"], altered["message"], published.json())


def test_a_partner_that_must_sign_is_refused_unsigned_requests(
    dci: TestClient, session_factory: sessionmaker[Session], partner_key: SigningKey
) -> None:
    issued = token(dci, "cnss-amo", _strict_partner(session_factory, partner_key))
    unsigned = _envelope()
    refused = dci.post(SEARCH, json=unsigned, headers=bearer(issued))
    assert refused.status_code == 400
    check_answer(SEARCH, unsigned, refused)
    assert refused.json()["errors"][0]["code"] == "err.signature.missing"
    signed = _signed(_envelope(), partner_key)
    accepted = dci.post(SEARCH, json=signed, headers=bearer(issued))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["message"]["search_response"][0]["status"] == "succ"
    assert _exchanges(session_factory) == 1


def test_a_request_altered_after_signing_is_refused(
    dci: TestClient, session_factory: sessionmaker[Session], partner_key: SigningKey
) -> None:
    issued = token(dci, "cnss-amo", _strict_partner(session_factory, partner_key))
    signed = _signed(_envelope(), partner_key)
    signed["message"]["search_request"][0]["search_criteria"]["query"]["value"] = PERSONS[ANNEX_A][1]
    refused = dci.post(SEARCH, json=signed, headers=bearer(issued))
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["code"] == "err.signature.invalid" and "digest" in error["message"]
    other_key = Ed25519PrivateKey.generate()
    foreign = SigningKey(kid=partner_key.kid, private_key=other_key, public_jwk=partner_key.public_jwk)
    forged = dci.post(SEARCH, json=_signed(_envelope(), foreign), headers=bearer(issued))
    assert forged.status_code == 400 and forged.json()["errors"][0]["code"] == "err.signature.invalid"
    assert _exchanges(session_factory) == 0


def test_an_unsigned_async_request_is_an_err_acknowledgement(
    dci: TestClient, session_factory: sessionmaker[Session], partner_key: SigningKey
) -> None:
    issued = token(dci, "cnss-amo", _strict_partner(session_factory, partner_key))
    sent = _envelope(sender_uri="http://127.0.0.1:9/callback/on-search")
    refused = dci.post(ASYNC_SEARCH, json=sent, headers=bearer(issued))
    assert refused.status_code == 400
    check_answer(ASYNC_SEARCH, sent, refused)
    assert refused.json()["message"]["error"]["code"] == "err.signature.missing"
    assert _exchanges(session_factory) == 0


def test_a_partner_in_verify_mode_may_send_unsigned_but_not_badly_signed(
    dci: TestClient, session_factory: sessionmaker[Session], partner_key: SigningKey
) -> None:
    issued = token(dci, "cnss-amo", _strict_partner(session_factory, partner_key))
    with transaction(session_factory) as session:
        set_signature_mode(session=session, actor=SYSTEM, client_id="cnss-amo", mode="verify")
    assert dci.post(SEARCH, json=_envelope(), headers=bearer(issued)).status_code == 200
    bad = {**_envelope(), "signature": 'Signature: namespace="spdci", algorithm="rsa"'}
    refused = dci.post(SEARCH, json=bad, headers=bearer(issued))
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "err.signature.invalid"
