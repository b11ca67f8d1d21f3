"""The reconciliation reports on a loaded registry: the funnel and the detectors, per backend.

Metric `seconds` per report and `size` (persons): the funnel per annex with every roll-up level
(one count of the annexes), the one-person households funnel plot, deregistration before
declaring, household splitting, the data rules over the registry, agent anomalies, score
swings, and the whole daily run (`sijill quality run`, every detector and its stored alerts and
counts); run as a national supervisor reads them. The registry is a synthetic population of
`--size` persons (default 1,000,000) loaded first with the other registries' extracts and an AMO
Tadamon eligibility run (`load_seconds`, not counted). PostgreSQL when it is there, then SQLite up
to `SQLITE_MAX` persons (a registry beyond that runs on PostgreSQL).
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
from sijill.quality.agents import agent_anomalies
from sijill.quality.deregistration import deregistered_before_declaring
from sijill.quality.funnel import funnels
from sijill.quality.one_person import one_person_households
from sijill.quality.run import run_quality
from sijill.quality.score_swings import household_score_swings
from sijill.quality.splitting import household_splitting
from sijill.quality.violations import evaluate
from sijill.scoring.model import model_in_force, shipped_models

DEFAULT_SIZE = 1_000_000
SQLITE_MAX = 1_000_000
AS_OF = date(2026, 12, 1)
READER = Actor(username="bench", role=Role.SUPERVISOR_NATIONAL, scope_code=None, source="bench")
ADMIN = Actor(username="bench-admin", role=Role.ADMIN, scope_code=None, source="bench")


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
    backends = (["postgresql"] if support.postgres_available() else []) + (["sqlite"] if persons <= SQLITE_MAX else [])
    with tempfile.TemporaryDirectory(prefix="sijill-bench-reconcile-") as folder:
        files = support.synthetic_households(round(persons / support.PERSONS_PER_HOUSEHOLD), Path(folder))
        for backend in backends:
            with support.scratch_database(backend, Path(folder)) as engine:
                factory = make_sessionmaker(engine)
                _, load_seconds = support.load_registry(engine, files, actor, model, other_registries=True)
                with transaction(factory) as session:
                    run_eligibility(session=session, actor=actor, as_of=AS_OF, programme="amo-tadamon")
                reports = {
                    "funnel": lambda s: funnels(session=s, actor=READER),
                    "one_person": lambda s: one_person_households(s, READER),
                    "deregistration": lambda s: deregistered_before_declaring(s, READER),
                    "household_splitting": lambda s: household_splitting(s, READER),
                    "data_rules": lambda s: evaluate(s, READER, today=AS_OF),
                    "agent_anomalies": lambda s: agent_anomalies(evaluate(s, READER, today=AS_OF)),
                    "score_swings": lambda s: household_score_swings(s, READER),
                    "daily_run": lambda s: run_quality(session=s, actor=ADMIN, today=AS_OF),
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
