"""`sijill persons import` of a synthetic register file into an empty database, per backend.

Metrics: `persons_per_s` (rows of the file / wall time of the whole import: read, every rule
checked, batch duplicate check, IDCS issued, rows written) and `peak_rss_mib` of the importing
process (measured in a child process with `wait4`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _support as support  # bench/ is on sys.path when `sijill bench` runs these
import polars as pl

from sijill.access.actor import Actor
from sijill.db import make_sessionmaker, transaction
from sijill.synth import SynthConfig, generate
from sijill.territory.service import import_territory, load_reference

DEFAULT_SIZE = 1_000_000


def run(size: int | None) -> list[dict[str, Any]]:
    persons = size or DEFAULT_SIZE
    backends = ["sqlite"] + (["postgresql"] if support.postgres_available() else [])
    figures: list[dict[str, Any]] = []
    actor = Actor.system(source="bench")
    with tempfile.TemporaryDirectory(prefix="sijill-bench-import-") as folder:
        files = Path(folder) / "synth"
        generate(SynthConfig(persons=persons, seed=1, out_dir=files))
        rows = pl.read_parquet(files / "persons.parquet").height
        units = pl.read_parquet(files / "territory.parquet").to_dicts()
        for backend in backends:
            with support.scratch_database(backend, Path(folder)) as engine:
                with transaction(make_sessionmaker(engine)) as session:
                    load_reference(session=session, actor=actor)
                    import_territory(session=session, actor=actor, records=units, source_name="bench")
                url = engine.url.render_as_string(hide_password=False)
                engine.dispose()
                env = {**os.environ, "SIJILL_DATABASE_URL": url}
                command = [
                    sys.executable,
                    "-m",
                    "sijill",
                    "persons",
                    "import",
                    str(files / "persons.parquet"),
                    "--errors",
                    str(Path(folder) / "errors.csv"),
                ]
                started = time.perf_counter()
                child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603 (our command)
                _, status, usage = os.wait4(child.pid, 0)
                seconds = time.perf_counter() - started
                if status != 0:
                    raise RuntimeError(f"sijill persons import exited with status {status}")
            base = {"bench": "import", "backend": backend, "size": rows, "seconds": round(seconds, 2)}
            figures.append({**base, "metric": "persons_per_s", "value": round(rows / seconds, 1), "unit": "persons/s"})
            figures.append({**base, "metric": "peak_rss_mib", "value": round(usage.ru_maxrss / 1024, 1), "unit": "MiB"})
    return figures
