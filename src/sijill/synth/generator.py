"""Public entry point: generate a whole synthetic population into a directory of Parquet files."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.chunk import RunState, build_chunk
from sijill.synth.rng import IntArray
from sijill.synth.schemas import TABLES
from sijill.synth.sink import ParquetSink
from sijill.synth.territory_gen import CHUNK_PERSONS, TerritoryPlan, plan_territory
from sijill.territory.reference import provinces

GENERATOR_VERSION = "1.2.0"
MIN_PERSONS, MAX_PERSONS = 1_000, 40_000_000
ANOMALIES_FILE, MANIFEST_FILE = "truth/anomalies.json", "manifest.json"


@dataclass(frozen=True)
class SynthConfig:
    persons: int  # target number of persons in households
    seed: int
    out_dir: Path
    province_codes: tuple[str, ...] | None = None  # None: the whole country


@dataclass(frozen=True)
class SynthSummary:
    persons: int
    households: int
    records: int  # persons plus injected duplicate registrations
    communes: int
    annexes: int
    agents: int
    files: dict[str, str]  # logical name -> path relative to out_dir
    seconds: float


def validate(config: SynthConfig) -> None:
    """Raise ValueError naming the field and the value when the configuration cannot be generated."""
    if isinstance(config.persons, bool) or not isinstance(config.persons, int):
        raise ValueError(f"persons must be an integer, got {config.persons!r}")
    if not MIN_PERSONS <= config.persons <= MAX_PERSONS:
        raise ValueError(f"persons must be between {MIN_PERSONS:,} and {MAX_PERSONS:,}, got {config.persons:,}")
    if isinstance(config.seed, bool) or not isinstance(config.seed, int) or config.seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {config.seed!r}")
    if config.province_codes is not None:
        if len(config.province_codes) == 0:
            raise ValueError("province_codes must name at least one province, got an empty list")
        known = {u.code for u in provinces()}
        for code in config.province_codes:
            if code not in known:
                raise ValueError(f"province_codes contains an unknown province code: {code!r}")
        if len(set(config.province_codes)) != len(config.province_codes):
            raise ValueError(f"province_codes contains duplicates: {list(config.province_codes)!r}")


def _ids(parts: list[IntArray]) -> IntArray:
    """Sorted distinct record ids of the chunks' parts."""
    out: IntArray = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
    return out


def _rows(tables: list[pa.Table]) -> list[dict[str, Any]]:
    if not tables:
        return []
    table = pa.concat_tables(tables)
    for name in table.column_names:
        if pa.types.is_date(table.schema.field(name).type):
            table = table.set_column(table.schema.get_field_index(name), name, pc.cast(table.column(name), pa.string()))
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _anomalies(plan: TerritoryPlan, state: RunState) -> dict[str, Any]:
    log = state.agent_errors
    bad = plan.erroneous_agent
    by_type = {
        "day_month_swapped": _ids(log.day_month_swapped),
        "misspelt_name": _ids(log.misspelt_name),
        "missing_phone": _ids(log.missing_phone),
    }
    touched = _ids(list(by_type.values()))
    return {
        "household_splitting": {
            "annexes": plan.annex_code.take(pa.array(plan.splitting_annexes)).to_pylist(),
            "splits": _rows(state.splits),
        },
        "erroneous_agent": {
            "agent_code": plan.agent_code[bad].as_py(),
            "annex_code": plan.annex_code[int(plan.agent_annex[bad])].as_py(),
            "errors": {kind: ids.tolist() for kind, ids in by_type.items()},
            "record_ids": touched.tolist(),
        },
        "auto_entrepreneur_deregistration": _rows(state.ae_quitters),
    }


def generate(config: SynthConfig, progress: Callable[[int], None] | None = None) -> SynthSummary:
    """Write the synthetic population of ``config`` into ``config.out_dir``; deterministic per seed."""
    validate(config)
    started = time.perf_counter()
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_territory(config.persons, config.province_codes, config.seed)
    sink = ParquetSink(out)
    sink.write("territory", plan.territory)
    sink.write("agents", plan.agents_table())
    state = RunState()
    persons = households = records = 0
    for index in range(len(plan.chunks)):
        chunk = build_chunk(config.seed, index, plan, state)
        for name, table in chunk.tables.items():
            sink.write(name, table)
        persons += chunk.persons
        households += chunk.households
        records += chunk.records
        del chunk
        # Hand the chunk's Arrow buffers back to the OS so the peak stays one chunk's worth.
        pa.default_memory_pool().release_unused()
        if progress is not None:
            progress(persons)
    rows = sink.close()

    (out / ANOMALIES_FILE).write_text(json.dumps(_anomalies(plan, state), ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")  # fmt: skip
    files = {name: path for name, (path, _) in TABLES.items()}
    files["anomalies"] = ANOMALIES_FILE
    files["manifest"] = MANIFEST_FILE
    summary_counts = {"persons": persons, "households": households, "records": records,
                      "communes": plan.communes, "annexes": plan.annexes, "agents": len(plan.agent_annex)}  # fmt: skip
    manifest = {
        "generator": "sijill.synth",
        "version": GENERATOR_VERSION,
        "seed": config.seed,
        "config": {"persons": config.persons,
                   "province_codes": list(config.province_codes) if config.province_codes else None},
        "chunk_persons": CHUNK_PERSONS,
        "chunks": len(plan.chunks),
        "summary": summary_counts,
        "counts": rows,
        "files": files,
    }  # fmt: skip
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return SynthSummary(**summary_counts, files=files, seconds=time.perf_counter() - started)
