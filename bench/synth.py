"""Synthetic population generation: persons per second and peak memory of `sijill synth`.

The generator runs in a child process so that its peak RSS is measured alone, not mixed with
this process's imports.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

DEFAULT_SIZE = 1_000_000


def run(size: int | None) -> list[dict[str, Any]]:
    persons = size or DEFAULT_SIZE
    with tempfile.TemporaryDirectory(prefix="sijill-bench-synth-") as out:
        command = [
            sys.executable,
            "-m",
            "sijill",
            "synth",
            "--persons",
            str(persons),
            "--seed",
            "1",
            "--out",
            out,
            "--quiet",
        ]
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603 (our own command)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        if status != 0:
            raise RuntimeError(f"sijill synth exited with status {status}")
    context = {
        "bench": "synth",
        "backend": "parquet",
        "size": persons,
        "seconds": round(seconds, 2),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    return [
        {**context, "metric": "persons_per_s", "value": round(persons / seconds, 1), "unit": "persons/s"},
        # ru_maxrss is in KiB on Linux.
        {**context, "metric": "peak_rss_mib", "value": round(usage.ru_maxrss / 1024, 1), "unit": "MiB"},
    ]
