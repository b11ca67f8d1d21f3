"""The compiled index model in memory: households scored per second.

Metric `households_per_s`: the shipped model scores `--size` households (default 10,000,000),
urban and rural, already in memory with the questionnaire's types (what `sijill score --all` holds
after reading). The households are a synthetic population's, repeated to reach the size. Median of
five runs; `best_households_per_s` is the fastest.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from sijill.scoring.compiled import MILIEU, REGION, CompiledModel
from sijill.scoring.derive import as_model_input
from sijill.scoring.model import model_in_force, shipped_models
from sijill.scoring.survey import survey_from_synth
from sijill.synth import SynthConfig, generate

DEFAULT_SIZE = 10_000_000
RUNS = 5


def _households(size: int, model: CompiledModel) -> dict[str, pl.DataFrame]:
    with tempfile.TemporaryDirectory(prefix="sijill-bench-scoring-") as folder:
        generate(SynthConfig(persons=400_000, seed=1, out_dir=Path(folder)))
        survey = survey_from_synth(Path(folder), model.model.questionnaire, sample=None)
    frame = as_model_input(survey, model.model.questionnaire).with_columns(pl.col(REGION).cast(model.region_dtype))
    repeats = -(-size // frame.height)
    tiled = pl.concat([frame] * repeats).head(size)
    return {m: tiled.filter(pl.col(MILIEU) == m).rechunk() for m in model.submodels}


def run(size: int | None) -> list[dict[str, Any]]:
    households = size or DEFAULT_SIZE
    model = model_in_force(shipped_models(), date.today())
    compiled = CompiledModel(model)
    frames = _households(households, compiled)
    timings = []
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        for milieu, frame in frames.items():
            compiled.score_milieu(frame, milieu)
        timings.append(time.perf_counter() - started)
    timings = timings[1:]  # the first run warms the caches
    context = {
        "bench": "scoring",
        "backend": "polars",
        "size": households,
        "model": model.ref,
        "runs": RUNS,
        "median_seconds": round(statistics.median(timings), 3),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "polars": pl.__version__,
    }
    return [
        {
            **context,
            "metric": "households_per_s",
            "value": round(households / statistics.median(timings)),
            "unit": "households/s",
        },
        {
            **context,
            "metric": "best_households_per_s",
            "value": round(households / min(timings)),
            "unit": "households/s",
        },
    ]
