"""The reconciliation reports on a loaded registry: the funnel and the detectors, per backend.

Metric `seconds` per report and `size` (persons): the funnel per annex with every roll-up level,
the one-person households funnel plot, deregistration before declaring; run as a national
supervisor reads them. The registry is a synthetic population of `--size` persons (default
1,000,000) loaded first with the other registries' extracts and an AMO Tadamon eligibility run
(`load_seconds`, not counted). PostgreSQL only when it is there, then SQLite.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import _support as support  # bench/ is on sys.path when `sijill bench` runs these

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import make_sessionmaker, transaction
from sijill.programmes.service import run_eligibility
from sijill.quality.deregistration import deregistered_before_declaring
from sijill.quality.funnel import LEVELS, funnel
from sijill.quality.one_person import one_person_households
from sijill.scoring.model import model_in_force, shipped_models

DEFAULT_SIZE = 1_000_000
AS_OF = date(2026, 12, 1)
READER = Actor(username="bench", role=Role.SUPERVISOR_NATIONAL, scope_code=None, source="bench")


def _timed(factory: Any, report: Any) -> float:
    started = time.perf_counter()
    with transaction(factory) as session:
        report(session)
    return time.perf_counter() - started


def run(size: int | None) -> list[dict[str, Any]]:
    persons = size or DEFAULT_SIZE
    actor = Actor.system(source="bench")
    model = model_in_force(shipped_models(), AS_OF)
    figures: list[dict[str, Any]] = []
    backends = (["postgresql"] if support.postgres_available() else []) + ["sqlite"]
    with tempfile.TemporaryDirectory(prefix="sijill-bench-reconcile-") as folder:
        files = support.synthetic_households(round(persons / support.PERSONS_PER_HOUSEHOLD), Path(folder))
        for backend in backends:
            with support.scratch_database(backend, Path(folder)) as engine:
                factory = make_sessionmaker(engine)
                _, load_seconds = support.load_registry(engine, files, actor, model, other_registries=True)
                with transaction(factory) as session:
                    run_eligibility(session=session, actor=actor, as_of=AS_OF, programme="amo-tadamon")
                reports = {
                    "funnel": lambda s: [funnel(session=s, actor=READER, level=level) for level in LEVELS],
                    "one_person": lambda s: one_person_households(s, READER),
                    "deregistration": lambda s: deregistered_before_declaring(s, READER),
                }
                seconds = {name: _timed(factory, report) for name, report in reports.items()}
            for name, value in seconds.items():
                figures.append(
                    {
                        "bench": "reconcile",
                        "metric": "seconds",
                        "report": name,
                        "value": round(value, 2),
                        "unit": "s",
                        "backend": backend,
                        "size": persons,
                        "load_seconds": round(load_seconds, 1),
                    }
                )
    return figures
