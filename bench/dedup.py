"""Deduplication of a synthetic register: `sijill dedup` end to end, and its accuracy.

The population is generated first (not timed); the command then runs in a child process, so that
its time and peak RSS are those of a user's run: reading the file, name features, blocking check,
training, scoring, clustering, writing the clusters and the model. Precision and recall are
pairwise, over the clusters, against the generator's truth/duplicates.parquet.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from sijill.linkage.metrics import pairwise

DEFAULT_SIZE = 1_000_000


def _truth(folder: Path) -> pl.DataFrame:
    records = pl.read_parquet(folder / "persons.parquet", columns=["record_id"]).select(
        pl.col("record_id").cast(pl.String)
    )
    originals = pl.read_parquet(folder / "truth" / "duplicates.parquet").select(
        pl.col("record_id").cast(pl.String), pl.col("original_record_id").cast(pl.String)
    )
    return records.join(originals, on="record_id", how="left").select(
        "record_id", pl.coalesce("original_record_id", "record_id").alias("true_id")
    )


def run(size: int | None) -> list[dict[str, Any]]:
    from sijill.synth import SynthConfig, generate

    persons = size or DEFAULT_SIZE
    with tempfile.TemporaryDirectory(prefix="sijill-bench-dedup-") as scratch:
        folder = Path(scratch)
        generate(SynthConfig(persons=persons, seed=1, out_dir=folder / "synth"))
        out = folder / "clusters.csv"
        command = [
            sys.executable,
            "-m",
            "sijill",
            "dedup",
            str(folder / "synth" / "persons.parquet"),
            "--out",
            str(out),
        ]
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603 (our own command)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        if status != 0:
            raise RuntimeError(f"sijill dedup exited with status {status}")
        clusters = pl.read_csv(out, schema_overrides={"record_id": pl.String, "cluster_id": pl.String})
        scores = pairwise(clusters, _truth(folder / "synth"))
    context = {
        "bench": "dedup",
        "backend": "duckdb",
        "size": persons,
        "records": clusters.height,
        "seconds": round(seconds, 2),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    return [
        {**context, "metric": "seconds", "value": round(seconds, 2), "unit": "s"},
        # ru_maxrss is in KiB on Linux.
        {**context, "metric": "peak_rss_mib", "value": round(usage.ru_maxrss / 1024, 1), "unit": "MiB"},
        {**context, "metric": "precision", "value": round(scores.precision, 4), "unit": ""},
        {**context, "metric": "recall", "value": round(scores.recall, 4), "unit": ""},
        {**context, "metric": "f1", "value": round(scores.f1, 4), "unit": ""},
    ]
