"""`sijill bench`: find benchmarks in bench/, run them, print figures or JSON lines."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from sijill.cli_support import console
from sijill.errors import SijillError, Text

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
Figure = dict[str, Any]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"sijill_bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def available() -> dict[str, Callable[[int | None], list[Figure]]]:
    """Each bench/<name>.py exposes ``run(size) -> list of figures``."""
    found: dict[str, Callable[[int | None], list[Figure]]] = {}
    # Benchmarks share helpers (bench/_support.py) by plain import.
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    for path in sorted(BENCH_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = _load(path)
        # File names use underscores; benchmark names use dashes (bench/score_all.py is `score-all`).
        found[path.stem.replace("_", "-")] = module.run
    return found


def run_benchmarks(name: str, *, size: int | None, as_json: bool) -> list[Figure]:
    benches = available()
    if name != "all" and name not in benches:
        known = ", ".join(sorted(benches)) or "none"
        raise SijillError(
            code="unknown_benchmark",
            field="name",
            value=name,
            message=Text(f"مقياس أداء غير معروف: {name}", f"Benchmark inconnu : {name}", f"unknown benchmark {name}"),
            fix=Text(f"المتاح: {known}, all", f"Disponibles : {known}, all", f"available: {known}, all"),
        )
    figures: list[Figure] = []
    for bench_name, run in benches.items():
        if name not in ("all", bench_name):
            continue
        for figure in run(size):
            figures.append(figure)
            if as_json:
                print(json.dumps(figure, ensure_ascii=False))
            else:
                console.print(
                    f"{figure['bench']}: {figure['metric']} = {figure['value']:,.1f} {figure['unit']} "
                    f"(size {figure['size']:,}, {figure['backend']})"
                )
        if not as_json:
            size_option = f" --size {size}" if size else ""
            console.print(f"reproduce: sijill bench {bench_name}{size_option} --json")
    return figures
