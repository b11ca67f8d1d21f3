from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from sijill.synth import SynthConfig, generate
from sijill.synth.schemas import TABLES


def _tables(path: Path) -> dict[str, object]:
    return {name: pq.read_table(path / rel) for name, (rel, _) in TABLES.items()}


def test_same_seed_same_tables(tmp_path: Path) -> None:
    a = generate(SynthConfig(6_000, 42, tmp_path / "a", ("06.01", "09.01")))
    b = generate(SynthConfig(6_000, 42, tmp_path / "b", ("06.01", "09.01")))
    assert (a.persons, a.households, a.records) == (b.persons, b.households, b.records)
    ta, tb = _tables(tmp_path / "a"), _tables(tmp_path / "b")
    for name in TABLES:
        assert ta[name].equals(tb[name]), name  # type: ignore[attr-defined]
    for rel in ("truth/anomalies.json", "manifest.json"):
        assert json.loads((tmp_path / "a" / rel).read_text()) == json.loads((tmp_path / "b" / rel).read_text())


def test_different_seed_different_population(tmp_path: Path) -> None:
    generate(SynthConfig(3_000, 1, tmp_path / "a"))
    generate(SynthConfig(3_000, 2, tmp_path / "b"))
    pa_ = pq.read_table(tmp_path / "a/persons.parquet")
    pb = pq.read_table(tmp_path / "b/persons.parquet")
    assert not pa_.equals(pb)
