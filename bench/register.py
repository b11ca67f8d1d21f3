"""Single registrations through the API, with the duplicate check, against a loaded registry.

Metrics: `p50_ms`, `p99_ms`, `requests_per_s` with 16 concurrent clients, on PostgreSQL. The
registry is a synthetic population of `--size` persons (default 1,000,000) loaded with COPY; the
registrations are people held out of that population, so some are new and the injected
duplicates among them hit the review queue, as in real life.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import _support as support  # bench/ is on sys.path when `sijill bench` runs these
import httpx
import numpy as np
import polars as pl

from sijill.access import service as access_service
from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.access.schemas import UserIn
from sijill.child_process import free_port, sijill_process
from sijill.db import make_sessionmaker, transaction
from sijill.population.bulk import load_synthetic_persons
from sijill.synth import SynthConfig, generate
from sijill.territory.service import import_territory, load_reference

DEFAULT_SIZE = 1_000_000
BENCH_PASSWORD = secrets.token_urlsafe(16)
CLIENTS = 16
# One server process per core: the API is CPU-bound Python.
WORKERS = os.cpu_count() or 1
REQUESTS = 2_000
# Registrations sent first and not measured: each server process opens its connections and
# prepares its statements on its first requests, which a long-running server has long done.
WARMUP = 200
FIELDS = ("given_name_ar", "family_name_ar", "given_name_lat", "family_name_lat", "father_given_name_ar",
          "father_given_name_lat", "mother_given_name_ar", "mother_given_name_lat", "sex", "birth_date",
          "birth_year", "nationality", "cin", "phone", "annex_code")  # fmt: skip


def _payloads(held_out: pl.DataFrame) -> list[dict[str, Any]]:
    frame = held_out.with_columns(
        pl.when(pl.col("birth_date").is_null())
        .then(pl.lit("year"))
        .otherwise(pl.lit("day"))
        .alias("birth_date_precision"),
        pl.col("birth_date").cast(pl.String),
    ).select([*FIELDS, "birth_date_precision"])
    return frame.to_dicts()


def run(size: int | None) -> list[dict[str, Any]]:
    if not support.postgres_available():
        raise RuntimeError("the register benchmark needs PostgreSQL (SIJILL_TEST_POSTGRES_URL)")
    persons = size or DEFAULT_SIZE
    actor = Actor.system(source="bench")
    with tempfile.TemporaryDirectory(prefix="sijill-bench-register-") as folder:
        files = Path(folder) / "synth"
        generate(SynthConfig(persons=persons, seed=7, out_dir=files))
        records = pl.read_parquet(files / "persons.parquet")
        # Hold out a random sample: they are registered through the API during the measurement.
        rng = np.random.default_rng(7)
        held = rng.choice(records.height, size=min(WARMUP + REQUESTS, records.height // 10), replace=False)
        mask = np.zeros(records.height, dtype=bool)
        mask[held] = True
        records.filter(~pl.Series(mask)).write_parquet(Path(folder) / "registry.parquet")
        payloads = _payloads(records.filter(pl.Series(mask)))
        units = pl.read_parquet(files / "territory.parquet").to_dicts()
        with support.scratch_database("postgresql", Path(folder)) as engine:
            factory = make_sessionmaker(engine)
            with transaction(factory) as session:
                load_reference(session=session, actor=actor)
                import_territory(session=session, actor=actor, records=units, source_name="bench")
                load_synthetic_persons(session=session, actor=actor, persons_file=Path(folder) / "registry.parquet")
                access_service.create_user(
                    session=session,
                    actor=actor,
                    data=UserIn(username="bench", full_name="Bench", password=BENCH_PASSWORD, role=Role.ADMIN),
                )
            # As every benchmark on a loaded registry does: measured in the state of a registry in
            # service (vacuumed, checkpointed), not while PostgreSQL is still flushing the load and
            # setting the visibility hints of a million rows it has just written.
            support.settle(engine)
            url = engine.url.render_as_string(hide_password=False)
            timed = _measure(url, payloads)
    context = {
        "bench": "register",
        "backend": "postgresql",
        "size": persons,
        "clients": CLIENTS,
        "workers": WORKERS,
        "warmup_requests": WARMUP,
    }
    return support.latency_rows(context, timed)


def _measure(url: str, payloads: list[dict[str, Any]]) -> support.Timed:
    port = free_port()
    env = {"SIJILL_DATABASE_URL": url, "SIJILL_SECRET_KEY": "bench-secret-key-0123456789abcdef0123"}
    base = f"http://127.0.0.1:{port}"
    with sijill_process(["serve", "--port", str(port), "--workers", str(WORKERS)], env, f"{base}/health"):
        token = httpx.post(f"{base}/api/auth/token", data={"username": "bench", "password": BENCH_PASSWORD}).json()[
            "access_token"
        ]
        headers = {"Authorization": f"Bearer {token}"}

        def send(client: httpx.Client, payload: dict[str, Any]) -> int:
            return client.post(f"{base}/api/persons", json=payload, headers=headers).status_code

        return support.concurrent_load(payloads, send, CLIENTS, WARMUP)
