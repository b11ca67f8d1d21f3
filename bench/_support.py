"""What the benchmarks share: throw-away databases (a SQLite file, or a PostgreSQL database
created and dropped), a registry loaded into one, and the concurrent HTTP load with its figures."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine

from sijill.access.actor import Actor
from sijill.db import database_answers, make_engine, scratch_postgres_database
from sijill.migrations_runner import upgrade
from sijill.scoring.model import IndexModel
from sijill.social_registry.bulk_load import LoadReport

T = TypeVar("T")
PG_ADMIN_URL = os.environ.get("SIJILL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> bool:
    return database_answers(PG_ADMIN_URL)


@contextmanager
def scratch_database(backend: str, folder: Path) -> Iterator[Engine]:
    """A migrated, empty database that disappears afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with scratch_postgres_database(PG_ADMIN_URL, "sijill_bench_") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def settle(engine: Engine) -> None:
    """Bring a freshly loaded database to the state of one in service: VACUUM ANALYZE and a
    CHECKPOINT on PostgreSQL (so the timed run neither rewrites every page to set visibility hints
    nor pays for flushing the load's gigabytes of dirty pages), ANALYZE on SQLite."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("VACUUM ANALYZE")
            connection.exec_driver_sql("CHECKPOINT")
        else:
            connection.exec_driver_sql("ANALYZE")


PERSONS_PER_HOUSEHOLD = 3.91


def synthetic_households(households: int, folder: Path) -> Path:
    """A synthetic population of about ``households`` households, generated into ``folder``."""
    from sijill.synth import SynthConfig, generate

    files = folder / "synth"
    generate(SynthConfig(persons=round(households * PERSONS_PER_HOUSEHOLD), seed=1, out_dir=files))
    return files


def load_registry(
    engine: Engine, files: Path, actor: Actor, model: IndexModel, *, other_registries: bool = False
) -> tuple[LoadReport, float]:
    """Territory, persons and households (and the other registries' extracts) loaded in bulk in one
    transaction, then the database settled; returns the load report and its seconds."""
    import time

    import polars as pl

    from sijill.db import make_sessionmaker, transaction
    from sijill.linkage.registries import REGISTRIES, import_registry
    from sijill.population.bulk import load_synthetic_persons
    from sijill.social_registry.bulk_load import load_synthetic_households
    from sijill.territory.service import import_territory, load_reference

    started = time.perf_counter()
    with transaction(make_sessionmaker(engine)) as session:
        load_reference(session=session, actor=actor)
        units = pl.read_parquet(files / "territory.parquet").to_dicts()
        import_territory(session=session, actor=actor, records=units, source_name="bench")
        ids = load_synthetic_persons(session=session, actor=actor, persons_file=files / "persons.parquet")
        loaded = load_synthetic_households(session=session, actor=actor, synth_dir=files, person_ids=ids, model=model)
        if other_registries:
            for name in REGISTRIES:
                import_registry(
                    session=session, actor=actor, registry=name, path=files / "registries" / f"{name}.parquet"
                )
    seconds = time.perf_counter() - started
    # A registry in service has been vacuumed and checkpointed since its load.
    settle(engine)
    return loaded, seconds


Timed = tuple[list[float], float, dict[int, int]]


def concurrent_load(items: Sequence[T], send: Callable[[httpx.Client, T], int], clients: int, warmup: int) -> Timed:
    """Each item sent by `send` (which returns the outcome to count, usually the HTTP status)
    from `clients` threads sharing one connection pool: the first `warmup` items untimed, then
    the latency of every other one, the wall time of them all, and how many had each outcome."""
    latencies: list[float] = []
    outcomes: dict[int, int] = {}
    counting = threading.Lock()

    def one(client: httpx.Client, item: T) -> None:
        started = time.perf_counter()
        outcome = send(client, item)
        elapsed = (time.perf_counter() - started) * 1000
        with counting:
            latencies.append(elapsed)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=clients)) as client:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda item: one(client, item), items[:warmup]))
        latencies.clear()
        outcomes.clear()
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda item: one(client, item), items[warmup:]))
        seconds = time.perf_counter() - started
    return latencies, seconds, outcomes


def latency_rows(context: dict[str, Any], timed: Timed) -> list[dict[str, Any]]:
    """The p50, p99 and throughput rows of one timed load, each with `context` and the counts."""
    latencies, seconds, outcomes = timed
    ordered = sorted(latencies)
    base = {**context, "requests": len(ordered), **{f"status_{k}": v for k, v in sorted(outcomes.items())}}
    return [
        {**base, "metric": "p50_ms", "value": round(ordered[len(ordered) // 2], 1), "unit": "ms"},
        {**base, "metric": "p99_ms", "value": round(ordered[int(len(ordered) * 0.99) - 1], 1), "unit": "ms"},
        {**base, "metric": "requests_per_s", "value": round(len(ordered) / seconds, 1), "unit": "requests/s"},
    ]
