"""The exchange with the CNSS, with the real processes: Sijill's server taking callbacks, the
simulator (`sijill cnss-sim`) stopped and restarted mid-batch, the transmitter sending a batch
twice. Every file ends decided exactly once, each with its message to the applicant."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.child_process import free_port, sijill_process
from sijill.config import OperatorEndpoint
from sijill.db import transaction
from sijill.enrollment.models import Application, ApplicationEvent, Notification, OperatorBatch, OperatorCallback
from sijill.enrollment.operators import HttpOperatorClient, OperatorClient, OutgoingBatch
from sijill.enrollment.service import check_received, receive, validate
from sijill.enrollment.transmit import _payload, queue_batches, send_due
from tests.conftest import SYSTEM
from tests.enrollment.support import AGENT_A, application_form, declare_family, seed

SECRET = "cnss-test-secret-0123456789"
FAMILIES = [f"{n:02d}" for n in range(71, 83)]  # twelve families, twelve files
DAY = date(2026, 6, 1)


@pytest.fixture
def validated(session_factory: sessionmaker[Session], system_actor: Actor) -> list[str]:
    with transaction(session_factory) as session:
        seed(session, system_actor)
        for prefix in FAMILIES:
            declare_family(session, system_actor, prefix=prefix)
    receipts = []
    for prefix in FAMILIES:
        with transaction(session_factory) as session:
            received = receive(session, AGENT_A, workflow="amo-tadamon", form=application_form(prefix), channel="annex")
            check_received(session, AGENT_A, [received.application_id], day=DAY)
            receipts.append(received.receipt)
    with transaction(session_factory) as session:
        assert all(o.done for o in validate(session, AGENT_A, receipts))
    return receipts


class Simulator:
    def __init__(self, store: Path, callback_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            "cnss-sim",
            "--port",
            str(self.port),
            "--store",
            str(store),
            "--callback-url",
            callback_url,
            "--decide-after",
            "0.5",
            "--refuse-percent",
            "25",
        ]
        self.env = {"SIJILL_CNSS_SIM_SECRET": SECRET}

    @contextmanager
    def running(self) -> Iterator[subprocess.Popen[bytes]]:
        with sijill_process(self.args, self.env, f"{self.url}/health") as child:
            yield child


def _wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail("condition not reached in time")


def _status_count(factory: sessionmaker[Session], status: str) -> int:
    with factory() as session:
        found = session.execute(select(func.count()).select_from(Application).where(Application.status == status))
        return int(found.scalar_one())


def test_files_reach_a_decision_once_through_restarts_on_both_sides(
    session_factory: sessionmaker[Session], validated: list[str], db_url: str, tmp_path: Path, system_actor: Actor
) -> None:
    api_port = free_port()
    callback_url = f"http://127.0.0.1:{api_port}/api/operators/cnss/callbacks"
    simulator = Simulator(tmp_path / "cnss.db", callback_url)
    endpoint = OperatorEndpoint(url=simulator.url, secret=SECRET)
    client: OperatorClient = HttpOperatorClient(endpoint)
    with transaction(session_factory) as session:
        assert queue_batches(session, SYSTEM, "cnss", size=4) == 12
    with transaction(session_factory) as session:
        assert queue_batches(session, SYSTEM, "cnss", size=4) == 0  # already in batches
    with session_factory() as session:
        batches = session.execute(select(OperatorBatch).order_by(OperatorBatch.id)).scalars().all()
    assert [b.files for b in batches] == [4, 4, 4]
    second = batches[1]

    # The simulator takes the first batch, then is killed before deciding anything.
    with simulator.running() as child:
        assert send_due(session_factory, SYSTEM, {"cnss": client}, max_batches=1).batches == 1
        child.send_signal(signal.SIGKILL)
        child.wait()
    # Down: the next batch fails, waits its backoff, and nothing moves.
    down = send_due(session_factory, SYSTEM, {"cnss": client})
    assert down.batches == 0 and len(down.failures) == 1
    with session_factory() as session:
        failed = session.get(OperatorBatch, second.id)
        assert failed is not None and failed.attempts == 1 and failed.status == "pending" and failed.last_error
    assert _status_count(session_factory, "validated") == 8

    # Sijill's transmitter sent the second batch and stopped before recording it: on restart the
    # same batch goes again, under the same key, and the simulator counts each file once.
    with session_factory() as session:
        batch = session.get(OperatorBatch, second.id)
        assert batch is not None
        resent = OutgoingBatch("cnss", batch.batch_key, _payload(session, batch))
    later = datetime.now(UTC) + timedelta(minutes=5)
    with simulator.running():
        client.send(resent)
        sent = send_due(session_factory, SYSTEM, {"cnss": client}, now=lambda: later)
        assert (sent.batches, sent.failures) == (2, [])
        counts = httpx.get(f"{simulator.url}/health").json()
        assert counts["files"] == 12
        # Sijill's server is not up yet: the simulator decides and keeps trying to call back.
        _wait_for(lambda: httpx.get(f"{simulator.url}/health").json()["decided"] == 12)
        assert _status_count(session_factory, "transmitted") == 12

        env = {"SIJILL_DATABASE_URL": db_url, "SIJILL_OPERATORS": f'{{"cnss": {endpoint.model_dump_json()}}}'}
        base = f"http://127.0.0.1:{api_port}"
        with sijill_process(["serve", "--port", str(api_port)], env, f"{base}/health"):
            _wait_for(lambda: httpx.get(f"{simulator.url}/health").json()["delivered"] == 12)

    with session_factory() as session:
        statuses = dict(session.execute(select(Application.receipt, Application.status)).all())
        decisions = session.execute(
            select(ApplicationEvent.application_id, func.count())
            .where(ApplicationEvent.to_status.in_(["accepted", "refused"]))
            .group_by(ApplicationEvent.application_id)
        ).all()
        messages = session.execute(select(Notification.application_id, Notification.text_fr)).all()
        callbacks = session.execute(select(OperatorCallback.result)).scalars().all()
        accepted = session.execute(
            select(Application.operator_reference, Application.due_on).where(Application.status == "accepted")
        ).all()
    assert set(statuses) == set(validated) and set(statuses.values()) <= {"accepted", "refused"}
    assert len(decisions) == 12 and all(count == 1 for _, count in decisions)
    assert len(messages) == 12 and len({a for a, _ in messages}) == 12
    assert all("immatriculation" in text or "refusée" in text for _, text in messages)
    assert callbacks.count("applied") == 12
    assert accepted and all(str(ref).startswith("CNSS") and due is not None for ref, due in accepted)
    assert "refused" in statuses.values()  # a quarter refused as already covered
