"""`sijill eligibility run` on a loaded registry: every programme in force, per backend.

Metrics: `compute_seconds` (target: ≤ 3 s for all programmes on 1,000,000 households): the rules
applied to the inputs in memory, summed over the programmes; `seconds`: the whole run as a user
starts it (reading the inputs, deciding, storing the snapshot and every decision), in one
transaction. The registry is a synthetic population of about 3.9 persons per household
(`--size` households, default 1,000,000) with the six other registries' extracts imported and
linked, loaded first (`load_seconds`, not counted).
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import _support as support  # bench/ is on sys.path when `sijill bench` runs these

from sijill.access.actor import Actor
from sijill.db import make_sessionmaker, transaction
from sijill.programmes.service import run_eligibility
from sijill.scoring.model import model_in_force, shipped_models

DEFAULT_SIZE = 1_000_000
AS_OF = date(2026, 12, 1)


def run(size: int | None) -> list[dict[str, Any]]:
    households = size or DEFAULT_SIZE
    actor = Actor.system(source="bench")
    model = model_in_force(shipped_models(), AS_OF)
    figures: list[dict[str, Any]] = []
    backends = (["postgresql"] if support.postgres_available() else []) + ["sqlite"]
    with tempfile.TemporaryDirectory(prefix="sijill-bench-eligibility-") as folder:
        files = support.synthetic_households(households, Path(folder))
        for backend in backends:
            with support.scratch_database(backend, Path(folder)) as engine:
                factory = make_sessionmaker(engine)
                _, load_seconds = support.load_registry(engine, files, actor, model, other_registries=True)
                started = time.perf_counter()
                with transaction(factory) as session:
                    reports = run_eligibility(session=session, actor=actor, as_of=AS_OF)
                seconds = time.perf_counter() - started
            context = {
                "backend": backend,
                "size": reports[0].households,
                "programmes": len(reports),
                "eligible": {r.programme: r.eligible for r in reports},
                "load_seconds": round(load_seconds, 1),
            }
            compute = sum(r.compute_seconds for r in reports)
            figures.append(
                {
                    "bench": "eligibility",
                    "metric": "compute_seconds",
                    "value": round(compute, 2),
                    "unit": "s",
                    **context,
                }
            )
            figures.append(
                {"bench": "eligibility", "metric": "seconds", "value": round(seconds, 1), "unit": "s", **context}
            )
    return figures
