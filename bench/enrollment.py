"""`enrollment`: AMO Tadamon applications sent online, cross-checked in batches, validated in bulk,
and transmitted to the CNSS simulator, on PostgreSQL, with the real processes (Sijill's server,
`sijill cnss-sim`) and the jobs running side by side as in service.

Metrics: `applications_per_s`, the applications (`--size`, default 100,000) over the time from
the first receipt to the last acknowledged transmission; `p50_s` and `p99_s`, each application's
time from its receipt to its transmission; `intake_p50_ms` and `intake_p99_ms`, the receipt request
as a citizen's browser waits for it. The registry is a synthetic population large enough for
`--size` households eligible for AMO Tadamon by their index (about one in six), loaded first and
not counted; each form is its household's, as the declarant would fill it in.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import _support as support  # bench/ is on sys.path when `sijill bench` runs these
import httpx
import numpy as np
from sqlalchemy import func, select

from sijill.access import service as access_service
from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.access.schemas import UserIn
from sijill.child_process import free_port, sijill_process
from sijill.config import OperatorEndpoint
from sijill.db import make_sessionmaker, transaction
from sijill.enrollment.household_forms import eligible_household_forms
from sijill.enrollment.models import Application
from sijill.enrollment.operators import HttpOperatorClient, OperatorClient
from sijill.enrollment.service import check_received
from sijill.enrollment.transmit import queue_batches, send_due
from sijill.scoring.model import model_in_force, shipped_models

DEFAULT_SIZE = 100_000
# AMO Tadamon's share of eligible households on synthetic data (docs/benchmarks.md), with margin.
ELIGIBLE_SHARE = 0.13
CLIENTS = 8
WORKERS = 2
SECRET = secrets.token_urlsafe(24)
PASSWORD = secrets.token_urlsafe(16)
TODAY = date.today()


def _forms(engine: Any, size: int) -> list[dict[str, Any]]:
    """The form of each of ``size`` households eligible for AMO Tadamon today, sent online (so
    without the annex, which the check finds from the household)."""
    with engine.connect() as connection:
        forms = eligible_household_forms(connection, "amo-tadamon", TODAY, size)
    return [{k: v for k, v in form.items() if k != "annex_code"} for form in forms]


class Pipeline:
    """The jobs that run beside the server in service: the checker, the annex's bulk validation,
    the transmitter; each as a loop until every application is transmitted."""

    def __init__(self, factory: Any, base: str, token: str, client: OperatorClient, size: int) -> None:
        self.factory, self.base, self.token, self.client, self.size = factory, base, token, client, size
        self.actor = Actor.system(source="bench")
        self.done = threading.Event()

    def _transmitted(self) -> int:
        with self.factory() as session:
            return int(
                session.execute(
                    select(func.count()).select_from(Application).where(Application.transmitted_at.is_not(None))
                ).scalar_one()
            )

    def check(self) -> None:
        while not self.done.is_set():
            with transaction(self.factory) as session:
                checked = check_received(session, self.actor)
            if not checked:
                time.sleep(0.5)

    def validate(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(timeout=120) as http:
            while not self.done.is_set():
                with self.factory() as session:
                    waiting = list(
                        session.execute(
                            select(Application.receipt)
                            .where(Application.status == "awaiting_validation")
                            .order_by(Application.id)
                            .limit(5_000)
                        ).scalars()
                    )
                if waiting:
                    http.post(f"{self.base}/api/applications/validations", json={"receipts": waiting}, headers=headers)
                else:
                    time.sleep(0.5)

    def transmit(self) -> None:
        while not self.done.is_set():
            with transaction(self.factory) as session:
                queue_batches(session, self.actor, "cnss")
            send_due(self.factory, self.actor, {"cnss": self.client})
            if self._transmitted() >= self.size:
                self.done.set()
            else:
                time.sleep(0.5)


def run(size: int | None) -> list[dict[str, Any]]:
    wanted = size or DEFAULT_SIZE
    if not support.postgres_available():
        return []
    actor = Actor.system(source="bench")
    model = model_in_force(shipped_models(), TODAY)
    with tempfile.TemporaryDirectory(prefix="sijill-bench-enrollment-") as folder:
        files = support.synthetic_households(round(wanted / ELIGIBLE_SHARE), Path(folder))
        with support.scratch_database("postgresql", Path(folder)) as engine:
            _, load_seconds = support.load_registry(engine, files, actor, model)
            factory = make_sessionmaker(engine)
            forms = _forms(engine, wanted)
            with transaction(factory) as session:
                access_service.create_user(
                    session=session,
                    actor=actor,
                    data=UserIn(username="bench", full_name="Bench", password=PASSWORD, role=Role.ADMIN),
                )
            figures = _measure(engine.url.render_as_string(hide_password=False), factory, forms, Path(folder))
    context = {"backend": "postgresql", "size": len(forms), "load_seconds": round(load_seconds, 1)}
    return [{"bench": "enrollment", **f, **context} for f in figures]


def _measure(url: str, factory: Any, forms: list[dict[str, Any]], folder: Path) -> list[dict[str, Any]]:
    api_port, sim_port = free_port(), free_port()
    base, sim = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sim_port}"
    endpoint = OperatorEndpoint(url=sim, secret=SECRET)
    server_env = {
        "SIJILL_DATABASE_URL": url,
        "SIJILL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
        "SIJILL_OPERATORS": f'{{"cnss": {endpoint.model_dump_json()}}}',
    }
    sim_args = ["cnss-sim", "--port", str(sim_port), "--store", str(folder / "cnss.db"), "--decide-after", "1"]
    sim_args += ["--callback-url", f"{base}/api/operators/cnss/callbacks"]
    server_args = ["serve", "--port", str(api_port), "--workers", str(WORKERS)]
    with (
        sijill_process(server_args, server_env, f"{base}/health"),
        sijill_process(sim_args, {"SIJILL_CNSS_SIM_SECRET": SECRET}, f"{sim}/health"),
    ):
        token = httpx.post(f"{base}/api/auth/token", data={"username": "bench", "password": PASSWORD}).json()[
            "access_token"
        ]
        pipeline = Pipeline(factory, base, token, HttpOperatorClient(endpoint), len(forms))
        jobs = [
            threading.Thread(target=job, daemon=True) for job in (pipeline.check, pipeline.validate, pipeline.transmit)
        ]
        latencies: list[float] = []

        def one(http: httpx.Client, form: dict[str, Any]) -> None:
            started = time.perf_counter()
            response = http.post(
                f"{base}/api/public/applications",
                json={"workflow": "amo-tadamon", "form": form},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()

        started = time.perf_counter()
        for job in jobs:
            job.start()
        with (
            httpx.Client(timeout=60, limits=httpx.Limits(max_connections=CLIENTS)) as http,
            ThreadPoolExecutor(CLIENTS) as pool,
        ):
            list(pool.map(lambda f: one(http, f), forms))
        intake_seconds = time.perf_counter() - started
        pipeline.done.wait(timeout=3_600)
        seconds = time.perf_counter() - started
        pipeline.done.set()
        for job in jobs:
            job.join(timeout=60)
    with factory() as session:
        rows = session.execute(select(Application.received_at, Application.transmitted_at)).all()
    through = np.array([(t - r).total_seconds() for r, t in rows if t is not None])
    intake = np.array(latencies) * 1000
    extra = {"transmitted": int(through.size), "intake_seconds": round(intake_seconds, 1)}
    return [
        {"metric": "applications_per_s", "value": round(through.size / seconds, 1), "unit": "applications/s", **extra},
        {"metric": "p50_s", "value": round(float(np.percentile(through, 50)), 2), "unit": "s", **extra},
        {"metric": "p99_s", "value": round(float(np.percentile(through, 99)), 2), "unit": "s", **extra},
        {"metric": "intake_p50_ms", "value": round(float(np.percentile(intake, 50)), 1), "unit": "ms", **extra},
        {"metric": "intake_p99_ms", "value": round(float(np.percentile(intake, 99)), 1), "unit": "ms", **extra},
    ]
