"""Loading generated outputs and the integrity checks shared by the synth tests."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from sijill.synth import SynthConfig, SynthSummary, generate
from sijill.synth.schemas import TABLES

DEMO_PROVINCE = "03.05"
REGISTRY_NAMES = ("cnss_salaried", "auto_entrepreneurs", "civil_servants", "pensioners", "other_health_cover",
                  "family_allowances")  # fmt: skip


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


CIN_PATTERN = r"^[A-Z]{1,2}\d{6}$"
PHONE_PATTERN = r"^\+212[67]\d{8}$"


def ice_valid(ice: pl.Series) -> bool:
    """Every value has 15 digits and passes ISO 7064 MOD 97-10 (the whole number mod 97 is 1)."""
    return bool(ice.str.contains(r"^\d{15}$").all() and (ice.cast(pl.Int64) % 97 == 1).all())


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
    for name in REGISTRY_NAMES:
        registry = out[f"registry_{name}"]
        mine = links.filter(pl.col("registry") == name)
        assert registry.height == mine.height
        assert registry["registry_record_id"].is_unique().all()
        assert set(mine["registry_record_id"].to_list()) == set(registry["registry_record_id"].to_list())
    cins = originals["cin"].drop_nulls()
    assert cins.is_unique().all()
    assert cins.str.contains(CIN_PATTERN).all()
    assert persons["phone"].drop_nulls().str.contains(PHONE_PATTERN).all()
    assert ice_valid(out["registry_auto_entrepreneurs"]["ice"])
    both_missing = persons["given_name_ar"].is_null() & persons["given_name_lat"].is_null()
    assert not both_missing.any()
    for column in ("answers", "truth_households"):
        assert set(out[column]["household_id"].to_list()) == set(households["household_id"].to_list())


def _damaged(out: Output) -> list[int]:
    """Records the careless agent touched: their dates and names are wrong on purpose."""
    ids: list[int] = out.anomalies["erroneous_agent"]["record_ids"]
    return ids


def members_with_age(out: Output) -> pl.DataFrame:
    """True persons with their completed age at the household's declaration (year difference when only
    the year is known)."""
    persons = out["persons"].filter(pl.col("household_id").is_not_null())
    members = persons.join(out["households"].select("household_id", "declared_on"), on="household_id")
    decl, birth = pl.col("declared_on"), pl.col("birth_date")
    before_birthday = (decl.dt.month().cast(pl.Int32) * 100 + decl.dt.day().cast(pl.Int32)) < (
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)
    )
    years = decl.dt.year().cast(pl.Int32) - pl.col("birth_year").cast(pl.Int32)
    return members.with_columns(age=years - before_birthday.fill_null(False).cast(pl.Int32))


def check_name_scripts(out: Output) -> None:
    """Each script holds both names or neither; Latin columns hold no Arabic letters and vice versa."""
    persons = out["persons"]
    for script in ("ar", "lat"):
        given, family = persons[f"given_name_{script}"], persons[f"family_name_{script}"]
        assert (given.is_null() == family.is_null()).all(), script
    frames = [(persons, "person")] + [(out[f"registry_{r}"], r) for r in REGISTRY_NAMES]
    for frame, label in frames:
        for column in frame.columns:
            if column.endswith("_lat"):
                assert not frame[column].str.contains(r"\p{Arabic}").any(), (label, column)
            if column.endswith("_ar"):
                assert not frame[column].str.contains(r"[A-Za-z]").any(), (label, column)


def check_phones_by_age(out: Output) -> None:
    """Nobody under 15 has a phone, in the true record or in a duplicate registration of it."""
    damaged = _damaged(out)
    members = members_with_age(out).filter(~pl.col("record_id").is_in(damaged))
    assert members.filter((pl.col("age") < 15) & pl.col("phone").is_not_null()).height == 0
    children = members.filter(pl.col("age") < 15).select(original_record_id="record_id")
    dups = out["truth_duplicates"].join(children, on="original_record_id")
    phones = out["persons"].join(dups, on="record_id").filter(~pl.col("record_id").is_in(damaged))["phone"]
    assert phones.null_count() == phones.len()


def check_split_nationality(out: Output) -> None:
    """A member who leaves to live alone keeps the nationality of the household they left."""
    splits = out.anomalies["household_splitting"]["splits"]
    if not splits:
        return
    persons = out["persons"].filter(pl.col("household_id").is_not_null())
    heads = persons.filter(pl.col("relationship") == "head").select(
        origin_household_id="household_id", origin_nationality="nationality"
    )
    movers = pl.DataFrame(splits).join(persons.select("record_id", "nationality"), on="record_id")
    movers = movers.join(heads, on="origin_household_id")
    assert movers.height == len(splits)
    assert (movers["nationality"] == movers["origin_nationality"]).all()


def check_auto_entrepreneur_truth(out: Output) -> None:
    """Leaving the auto-entrepreneur register 15-120 days before the household's declaration is the
    injected anomaly: every such record is in anomalies.json and every other deregistration is a year
    or more before the declaration."""
    truth = {r["registry_record_id"] for r in out.anomalies["auto_entrepreneur_deregistration"]}
    links = out["truth_registry_links"].filter(pl.col("registry") == "auto_entrepreneurs")
    registry = out["registry_auto_entrepreneurs"].join(links, on="registry_record_id")
    declared = out["persons"].join(out["households"], on="household_id").select("record_id", "declared_on")
    left = registry.join(declared, on="record_id").filter(pl.col("deregistered_on").is_not_null())
    left = left.with_columns(days=(pl.col("declared_on") - pl.col("deregistered_on")).dt.total_days())
    quitters = left.filter(pl.col("registry_record_id").is_in(list(truth)))
    assert quitters.height == len(truth) and quitters["days"].is_between(15, 120).all()
    others = left.filter(~pl.col("registry_record_id").is_in(list(truth)))
    assert (others["days"] >= 365).all()
    assert (left["registered_on"] < left["deregistered_on"]).all()


def check_cnss_months(out: Output) -> None:
    """The last month declared to the CNSS is never before the month of affiliation."""
    cnss = out["registry_cnss_salaried"]
    assert (cnss["affiliated_on"].dt.truncate("1mo") <= cnss["last_declared_month"]).all()
    assert (cnss["last_declared_month"].dt.day() == 1).all()


def check_distortions_change_the_record(out: Output) -> None:
    """Every duplicate differs from its original where its distortion says (the careless agent's own
    errors aside, which can undo or repeat one)."""
    damaged = _damaged(out)
    names = ["given_name_ar", "family_name_ar", "given_name_lat", "family_name_lat"]
    originals = out["persons"].select("record_id", *names, "birth_date", "birth_year")
    pairs = (
        out["truth_duplicates"]
        .join(out["persons"], on="record_id")
        .join(originals, left_on="original_record_id", right_on="record_id", suffix="_o")
    )
    pairs = pairs.filter(~pl.col("record_id").is_in(damaged) & ~pl.col("original_record_id").is_in(damaged))
    same_names = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}_o")) for c in names])
    same_date = pl.col("birth_date").eq_missing(pl.col("birth_date_o")) & (
        pl.col("birth_year") == pl.col("birth_year_o")
    )
    unchanged = pairs.filter(pl.when(pl.col("distortion") == "date_error").then(same_date).otherwise(same_names))
    assert unchanged.height == 0, unchanged.select("record_id", "distortion", *names).head(5)


CONTRACT_CHECKS = (
    check_name_scripts,
    check_phones_by_age,
    check_split_nationality,
    check_auto_entrepreneur_truth,
    check_cnss_months,
    check_distortions_change_the_record,
)
