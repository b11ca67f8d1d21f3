"""A registered partner, its token, and envelopes as a partner system sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from sijill.config import Settings
from sijill.db import transaction
from sijill.dci.partners import register_partner
from tests.conftest import SYSTEM

_ids = count(1)


def partner(
    session_factory: sessionmaker[Session],
    client_id: str = "cnss-amo",
    territories: list[str] | None = None,
    fields: list[str] | None = None,
    scopes: list[str] | None = None,
    callback_prefixes: list[str] | None = None,
) -> str:
    """Register a partner; returns its client secret."""
    with transaction(session_factory) as session:
        registered = register_partner(
            session=session,
            actor=SYSTEM,
            client_id=client_id,
            name=client_id.upper(),
            territories=territories,
            fields=fields or [],
            scopes=scopes,
            callback_prefixes=callback_prefixes,
        )
        return registered.client_secret


def token(client: TestClient, client_id: str, secret: str, scope: str = "") -> str:
    answer = client.post(
        "/dci/oauth2/client/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope},
    )
    assert answer.status_code == 200, answer.text
    value: str = answer.json()["access_token"]
    return value


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def header(action: str = "search", total_count: int = 1, **changes: Any) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "message_id": f"msg-{next(_ids)}",
        "message_ts": now(),
        "action": action,
        "sender_id": "cnss.example.ma",
        "receiver_id": "sijill",
        "total_count": total_count,
        "is_msg_encrypted": False,
        **changes,
    }


def search_item(query_type: str, query: Any, reference_id: str = "ref-1", **criteria: Any) -> dict[str, Any]:
    return {
        "reference_id": reference_id,
        "timestamp": now(),
        "search_criteria": {"version": "1.0.0", "query_type": query_type, "query": query, **criteria},
        "locale": "fra",
    }


def search_envelope(*items: dict[str, Any], transaction_id: str = "txn-1", **header_changes: Any) -> dict[str, Any]:
    return {
        "header": header(**{"action": "search", "total_count": len(items), **header_changes}),
        "message": {"transaction_id": transaction_id, "search_request": list(items)},
    }


def quiet_settings(db_url: str, data_dir: Path) -> Settings:
    """Settings of a DCI test server: the worker's timer off (each test decides when it passes)
    and Sijill's signing key in the test's own folder."""
    return Settings(
        database_url=db_url,
        secret_key="dci-test-secret-key-0123456789abcdef0123",
        dci_worker_interval_s=0,
        data_dir=data_dir,
    )
