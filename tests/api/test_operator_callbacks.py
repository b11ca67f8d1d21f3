"""POST /api/operators/{operator}/callbacks: a decision applied once; unknown operators and files,
bad signatures, malformed bodies and transitions the file's state refuses change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.config import OperatorEndpoint, Settings
from sijill.db import transaction
from sijill.enrollment.models import Application, ApplicationEvent, Notification, OperatorCallback
from sijill.enrollment.operators import SIGNATURE_HEADER, sign
from sijill.enrollment.transmit import queue_batches
from tests.api.conftest import TEST_SECRET
from tests.conftest import SYSTEM
from tests.enrollment.support import SIM_SECRET, declare_family, submitted, transmit_in_process

SECRET = SIM_SECRET
URL = "/api/operators/cnss/callbacks"


@pytest.fixture
def settings(db_url: str) -> Settings:
    endpoint = OperatorEndpoint(url="http://simulator.test", secret=SECRET)
    return Settings(database_url=db_url, secret_key=TEST_SECRET, token_minutes=5, operators={"cnss": endpoint})


@pytest.fixture
def transmitted(
    client: TestClient, session_factory: sessionmaker[Session], system_actor: Actor, tmp_path: Path
) -> tuple[str, str]:
    """Two files: one transmitted to the (in-process) simulator, one validated and only queued."""
    with transaction(session_factory) as session:
        declare_family(session, system_actor, prefix="71")
        declare_family(session, system_actor, prefix="72")
    sent = submitted(session_factory, "71")
    assert transmit_in_process(session_factory, tmp_path / "sim.db") == 1
    queued = submitted(session_factory, "72")
    with transaction(session_factory) as session:
        queue_batches(session, SYSTEM, "cnss")
    return sent, queued


def _post(client: TestClient, message: dict[str, object], secret: str = SECRET) -> tuple[int, dict[str, object]]:
    body = json.dumps(message).encode()
    response = client.post(URL, content=body, headers={SIGNATURE_HEADER: sign(secret, body)})
    return response.status_code, response.json()


def _decision(receipt: str, **changes: object) -> dict[str, object]:
    return {
        "message_id": f"{receipt}:1",
        "file_id": f"{receipt}/1",
        "outcome": "accepted",
        "reference": "CNSS0000000042",
        **changes,
    }


def _state(factory: sessionmaker[Session]) -> tuple[list[tuple[str, str]], int, int]:
    with factory() as session:
        files = session.execute(select(Application.receipt, Application.status).order_by(Application.id)).all()
        events = session.execute(select(func.count()).select_from(ApplicationEvent)).scalar_one()
        messages = session.execute(select(func.count()).select_from(Notification)).scalar_one()
    return [(r, s) for r, s in files], events, messages


def test_a_decision_is_applied_once_and_told_to_the_applicant(
    client: TestClient, transmitted: tuple[str, str], session_factory: sessionmaker[Session]
) -> None:
    sent, _ = transmitted
    status, body = _post(client, _decision(sent))
    assert (status, body) == (200, {"result": "applied"})
    before = _state(session_factory)
    again = _post(client, _decision(sent))
    assert again == (200, {"result": "duplicate"})
    assert _state(session_factory) == before
    with session_factory() as session:
        file = session.execute(select(Application).where(Application.receipt == sent)).scalar_one()
        message = session.execute(select(Notification)).scalar_one()
    assert (file.status, file.operator_reference, file.notified_at is not None) == ("accepted", "CNSS0000000042", True)
    assert "CNSS0000000042" in message.text_fr and "تم قبول" in message.text_ar
    assert message.recipient == "+212612345678"
    # A later, different message about the decided file: refused, kept, and nothing changes.
    status, refused = _post(client, _decision(sent, message_id="other", outcome="refused", reason="already_covered"))
    assert status == 409 and refused["error"]["code"] == "invalid_transition"  # type: ignore[index]
    assert _state(session_factory) == before


@pytest.mark.parametrize(
    ("change", "status_code", "code"),
    [
        ({"file_id": "AT26-00000000-0/1"}, 404, "unknown_file"),
        ({"secret": "someone-else-secret-000"}, 401, "bad_signature"),
        ({"outcome": "maybe"}, 422, "callback_invalid"),
        ({"reference": None}, 422, "callback_invalid"),
        ({"queued": True}, 409, "invalid_transition"),
    ],
)
def test_refused_callbacks_change_nothing(
    client: TestClient,
    transmitted: tuple[str, str],
    session_factory: sessionmaker[Session],
    change: dict[str, object],
    status_code: int,
    code: str,
) -> None:
    sent, queued = transmitted
    change = dict(change)  # the parameters are shared by both backends' runs
    secret = str(change.pop("secret", SECRET))
    target = queued if change.pop("queued", False) else sent
    before = _state(session_factory)
    status, body = _post(client, _decision(target, **change), secret=secret)
    assert status == status_code and body["error"]["code"] == code  # type: ignore[index]
    assert _state(session_factory) == before
    with session_factory() as session:
        kept = session.execute(select(OperatorCallback.result)).scalars().all()
    # Signed messages are kept with the reason of their refusal; unsigned or unreadable ones are not.
    assert kept == ([code] if code in {"unknown_file", "invalid_transition"} else [])


def test_an_unknown_operator_or_a_huge_body_is_refused(client: TestClient, transmitted: tuple[str, str]) -> None:
    assert client.post("/api/operators/anss/callbacks", content=b"{}").status_code == 404
    assert client.post(URL, content=b"x" * 20_000).status_code == 413
    assert client.post("/api/operators/c%20nss/callbacks", content=b"{}").status_code == 422
