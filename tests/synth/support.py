"""Loading generated outputs and the integrity checks shared by the synth tests."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from sijill.synth import SynthConfig, SynthSummary, generate
from sijill.synth.schemas import TABLES

DEMO_PROVINCE = "03.05"


@dataclass(frozen=True)
class Output:
    path: Path
    summary: SynthSummary
    tables: dict[str, pl.DataFrame]
    anomalies: dict[str, Any]
    manifest: dict[str, Any]

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]


def num(value: object) -> float:
    """A polars aggregate as a float (its static type is a wide union)."""
    assert isinstance(value, int | float), value
    return float(value)


def as_date(value: object) -> dt.date:
    assert isinstance(value, dt.date), value
    return value


def load(path: Path, summary: SynthSummary) -> Output:
    tables = {name: pl.read_parquet(path / rel) for name, (rel, _) in TABLES.items()}
    anomalies = json.loads((path / "truth/anomalies.json").read_text(encoding="utf-8"))
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    return Output(path, summary, tables, anomalies, manifest)


def build(path: Path, persons: int, seed: int, provinces: tuple[str, ...] | None) -> Output:
    summary = generate(SynthConfig(persons=persons, seed=seed, out_dir=path, province_codes=provinces))
    return load(path, summary)


CIN_RE = re.compile(r"^[A-Z]{1,2}\d{6}$")
PHONE_RE = re.compile(r"^\+212[67]\d{8}$")


def ice_valid(ice: str) -> bool:
    return len(ice) == 15 and ice.isdigit() and int(ice) % 97 == 1


def check_integrity(out: Output) -> None:
    """Invariants any generated population must satisfy, whatever the seed or size."""
    persons, households, territory = out["persons"], out["households"], out["territory"]
    dups, links = out["truth_duplicates"], out["truth_registry_links"]
    assert persons["record_id"].is_unique().all()
    assert households["household_id"].is_unique().all()
    originals = persons.filter(pl.col("household_id").is_not_null())
    assert originals.height == out.summary.persons
    assert persons.height == out.summary.records == out.summary.persons + dups.height
    assert households.height == out.summary.households
    # Every member's household exists and sizes match the members.
    counts = originals.group_by("household_id").len()
    joined = households.join(counts, on="household_id", how="full", coalesce=True)
    assert joined["len"].null_count() == 0 and joined["size"].null_count() == 0
    assert (joined["len"] == joined["size"].cast(pl.UInt32)).all()
    heads = originals.filter(pl.col("relationship") == "head").group_by("household_id").len()
    assert heads.height == households.height and (heads["len"] == 1).all()
    annexes = set(territory.filter(pl.col("level") == "annex")["code"].to_list())
    assert set(persons["annex_code"].unique().to_list()) <= annexes
    assert set(households["annex_code"].unique().to_list()) <= annexes
    communes = set(territory.filter(pl.col("level") == "commune")["code"].to_list())
    assert set(territory.filter(pl.col("level") == "annex")["parent_code"].to_list()) <= communes
    agents = set(out["agents"]["agent_code"].to_list())
    assert set(persons["registered_by"].unique().to_list()) <= agents
    assert set(households["agent_code"].unique().to_list()) <= agents
    # The declarant is an adult member of the household (age at the declaration date).
    decl = households.join(originals, left_on="declarant_record_id", right_on="record_id", how="left")
    assert (decl["household_id"] == decl["household_id_right"]).all()
    year_age = decl["declared_on"].dt.year() - decl["birth_year"].cast(pl.Int32)
    assert (year_age >= 18).all()
    # Duplicates are exactly the records without a household, and point at true records.
    assert set(dups["record_id"].to_list()) == set(persons.filter(pl.col("household_id").is_null())["record_id"])
    assert set(dups["original_record_id"].to_list()) <= set(originals["record_id"].to_list())
    assert set(links["record_id"].to_list()) <= set(originals["record_id"].to_list())
    for name in ("cnss_salaried", "auto_entrepreneurs", "civil_servants", "pensioners",
                 "other_health_cover", "family_allowances"):  # fmt: skip
        registry = out[f"registry_{name}"]
        mine = links.filter(pl.col("registry") == name)
        assert registry.height == mine.height
        assert registry["registry_record_id"].is_unique().all()
        assert set(mine["registry_record_id"].to_list()) == set(registry["registry_record_id"].to_list())
    cins = originals["cin"].drop_nulls()
    assert cins.is_unique().all()
    assert all(CIN_RE.match(c) for c in cins.to_list())
    assert all(PHONE_RE.match(p) for p in persons["phone"].drop_nulls().to_list())
    assert all(ice_valid(i) for i in out["registry_auto_entrepreneurs"]["ice"].to_list())
    both_missing = persons["given_name_ar"].is_null() & persons["given_name_lat"].is_null()
    assert not both_missing.any()
    for column in ("answers", "truth_households"):
        assert set(out[column]["household_id"].to_list()) == set(households["household_id"].to_list())
