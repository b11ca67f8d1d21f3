"""`sijill score --all` on a loaded registry: read, score, write, per backend.

Metric `seconds` (target on PostgreSQL: ≤ 15 s for 1,000,000 households): one run of the batch with
a model version that has not scored the registry yet, so every current declaration is read (its
packed variable vector), scored, and its score and threshold events written. The
registry is a synthetic population of about 3.9 persons per household (`--size` households, default
1,000,000), loaded in bulk first; the load is reported too (`load_seconds`), not counted.
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
from sijill.rules_files import read_rule_file
from sijill.scoring.model import IndexModel, model_in_force, parse_model, shipped_models
from sijill.scoring.questionnaire import shipped_questionnaires
from sijill.social_registry.batch_scoring import score_all

DEFAULT_SIZE = 1_000_000


def _second_version(model: IndexModel) -> IndexModel:
    """The shipped model under another version number: a run that has everything to score."""
    doc = read_rule_file(model.path)
    doc.data["version"] = "bench"
    return parse_model(doc, shipped_questionnaires())


def run(size: int | None) -> list[dict[str, Any]]:
    households = size or DEFAULT_SIZE
    actor = Actor.system(source="bench")
    model = model_in_force(shipped_models(), date.today())
    rerun = _second_version(model)
    figures: list[dict[str, Any]] = []
    backends = (["postgresql"] if support.postgres_available() else []) + ["sqlite"]
    with tempfile.TemporaryDirectory(prefix="sijill-bench-score-all-") as folder:
        files = support.synthetic_households(households, Path(folder))
        for backend in backends:
            with support.scratch_database(backend, Path(folder)) as engine:
                factory = make_sessionmaker(engine)
                loaded, load_seconds = support.load_registry(engine, files, actor, model)
                started = time.perf_counter()
                with transaction(factory) as session:
                    report = score_all(session=session, actor=actor, model=rerun)
                seconds = time.perf_counter() - started
            figures.append(
                {
                    "bench": "score-all",
                    "metric": "seconds",
                    "value": round(seconds, 2),
                    "unit": "s",
                    "backend": backend,
                    "size": report.scored,
                    "households_per_s": round(report.scored / seconds),
                    "threshold_events": sum(report.events.values()),
                    "load_seconds": round(load_seconds, 1),
                    "households_loaded": loaded.households,
                    "rejected_at_load": loaded.rejected,
                }
            )
    return figures
