"""Bulk load of register records and audit-chain verification, on SQLite and PostgreSQL.

Metrics: `persons_loaded_per_s` (synthetic persons into the `person` table in one transaction,
COPY on PostgreSQL), `audit_appends_per_s` (audited writes, one chain link each, in one transaction)
and `audit_rows_verified_per_s` (walking the hash chain).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import _support as support  # bench/ is on sys.path when `sijill bench` runs these

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.db import make_sessionmaker, transaction
from sijill.population.bulk import load_synthetic_persons
from sijill.synth import SynthConfig, generate
from sijill.territory.service import import_territory, load_reference

DEFAULT_SIZE = 200_000
AUDIT_ROWS = 10_000


def run(size: int | None) -> list[dict[str, Any]]:
    persons = size or DEFAULT_SIZE
    actor = Actor.system(source="bench")
    figures: list[dict[str, Any]] = []
    backends = ["sqlite"] + (["postgresql"] if support.postgres_available() else [])
    with tempfile.TemporaryDirectory(prefix="sijill-bench-load-") as folder:
        files = Path(folder) / "synth"
        summary = generate(SynthConfig(persons=persons, seed=1, out_dir=files))
        import polars as pl

        units = pl.read_parquet(files / "territory.parquet").to_dicts()
        for backend in backends:
            with support.scratch_database(backend, Path(folder)) as engine:
                factory = make_sessionmaker(engine)
                with transaction(factory) as session:
                    load_reference(session=session, actor=actor)
                    import_territory(session=session, actor=actor, records=units, source_name="bench")
                started = time.perf_counter()
                with transaction(factory) as session:
                    load_synthetic_persons(session=session, actor=actor, persons_file=files / "persons.parquet")
                load_seconds = time.perf_counter() - started
                started = time.perf_counter()
                with transaction(factory) as session:
                    for i in range(AUDIT_ROWS):
                        audit.record(session, actor, "bench.event", "thing", str(i))
                append_seconds = time.perf_counter() - started
                started = time.perf_counter()
                with factory() as session:
                    result = audit.verify(session)
                verify_seconds = time.perf_counter() - started
                assert result.ok
                base = {"bench": "load", "backend": backend}
                figures.append(
                    {
                        **base,
                        "metric": "persons_loaded_per_s",
                        "size": summary.records,
                        "value": round(summary.records / load_seconds, 1),
                        "unit": "persons/s",
                        "seconds": round(load_seconds, 2),
                    }
                )
                figures.append(
                    {
                        **base,
                        "metric": "audit_appends_per_s",
                        "size": AUDIT_ROWS,
                        "value": round(AUDIT_ROWS / append_seconds, 1),
                        "unit": "rows/s",
                        "seconds": round(append_seconds, 2),
                    }
                )
                figures.append(
                    {
                        **base,
                        "metric": "audit_rows_verified_per_s",
                        "size": result.count,
                        "value": round(result.count / verify_seconds, 1),
                        "unit": "rows/s",
                        "seconds": round(verify_seconds, 2),
                    }
                )
    return figures
