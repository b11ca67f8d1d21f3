"""The synthetic population lands near the 2024 census figures (see docs/synthetic-data.md)."""

from __future__ import annotations

import polars as pl
import pytest

from tests.synth.support import Output, num


def _members(out: Output) -> pl.DataFrame:
    persons = out["persons"].filter(pl.col("household_id").is_not_null())
    declared = out["households"].select("household_id", "declared_on", "milieu")
    members = persons.join(declared, on="household_id")
    # Ages are completed years at the household's declaration.
    had_birthday = (members["declared_on"].dt.ordinal_day() >= members["birth_date"].dt.ordinal_day()).fill_null(True)
    age = members["declared_on"].dt.year() - members["birth_year"].cast(pl.Int32) - (~had_birthday).cast(pl.Int32)
    return members.with_columns(age=age)


@pytest.mark.parametrize("name", ["demo", "national"])
def test_household_sizes(name: str, request: pytest.FixtureRequest) -> None:
    out: Output = request.getfixturevalue(name)
    hh = out["households"]
    assert hh["size"].mean() == pytest.approx(3.9, abs=0.2)
    one_person = (hh["size"] == 1).mean()
    assert one_person == pytest.approx(0.111, abs=0.03)
    by_milieu = {row["milieu"]: row["size"] for row in hh.group_by("milieu").agg(pl.col("size").mean()).to_dicts()}
    assert by_milieu["urban"] == pytest.approx(3.7, abs=0.2)
    assert by_milieu["rural"] == pytest.approx(4.4, abs=0.25)


def test_national_age_structure_and_urban_share(national: Output) -> None:
    members = _members(national)
    assert (members["age"] < 15).mean() == pytest.approx(0.265, abs=0.025)
    assert (members["age"] >= 60).mean() == pytest.approx(0.138, abs=0.025)
    assert (members["milieu"] == "urban").mean() == pytest.approx(0.63, abs=0.03)
    assert num((members["nationality"] == "MAR").mean()) > 0.98
    assert members["sex"].is_in(["M", "F"]).all()


def test_identity_fields(national: Output) -> None:
    members = _members(national)
    adults = members.filter(pl.col("age") >= 18)
    assert num(adults["cin"].is_not_null().mean()) > 0.9
    assert members.filter(pl.col("age") < 16)["cin"].null_count() == members.filter(pl.col("age") < 16).height
    assert members.filter(pl.col("age") < 15)["occupation"].null_count() == members.filter(pl.col("age") < 15).height
    one_script = members["given_name_ar"].is_null() | members["given_name_lat"].is_null()
    assert 0.01 < num(one_script.mean()) < 0.1
    old_rural = members.filter((pl.col("age") >= 60) & (pl.col("milieu") == "rural"))
    assert num(old_rural["birth_date_presumed"].mean()) > 0.15
    assert (members["registered_on"] <= members["declared_on"]).all()
    assert ((members["birth_date"] <= members["registered_on"]) | members["birth_date"].is_null()).all()


def test_latent_consumption(national: Output) -> None:
    truth = national["truth_households"].join(national["households"], on="household_id")
    means = {r["milieu"]: r["log_consumption"]
             for r in truth.group_by("milieu").agg(pl.col("log_consumption").mean()).to_dicts()}  # fmt: skip
    assert 9.0 < means["rural"] < means["urban"] < 11.0
    assert num(truth["consumption_per_capita_dh"].min()) > 0


def test_answers_follow_welfare(national: Output) -> None:
    answers = national["answers"].join(national["truth_households"], on="household_id")
    rich = answers.filter(pl.col("log_consumption") > answers["log_consumption"].quantile(0.8))
    poor = answers.filter(pl.col("log_consumption") < answers["log_consumption"].quantile(0.2))
    for good in ("fridge", "car", "computer", "washing_machine"):
        assert num(rich[good].mean()) > num(poor[good].mean())
    urban = answers.filter(pl.col("milieu") == "urban")
    assert urban["land_ha"].null_count() == urban.height
    rural = answers.filter(pl.col("milieu") == "rural")
    assert rural["land_ha"].null_count() == 0


def test_duplicate_rate_and_distortions(demo: Output) -> None:
    dups = demo["truth_duplicates"]
    assert 0.02 <= dups.height / demo.summary.persons <= 0.03
    assert set(dups["distortion"].unique().to_list()) == {
        "typo", "transliteration", "swapped_name_order", "date_error", "combination"
    }  # fmt: skip


def test_marital_status_follows_the_household(national: Output) -> None:
    members = _members(national)
    spouses = members.filter(pl.col("relationship") == "spouse").select("household_id").unique()
    couples = members.join(spouses, on="household_id")
    in_couple = couples.filter(pl.col("relationship").is_in(["head", "spouse"]))
    assert (in_couple["marital_status"] == "married").all()
    # Asked from 15 (one year of slack: presumed birth dates move an age across the line).
    assert members.filter(pl.col("age") < 14)["marital_status"].null_count() == (members["age"] < 14).sum()
    assert members.filter(pl.col("age") >= 16)["marital_status"].null_count() == 0
    lone_women = members.join(spouses, on="household_id", how="anti").filter(
        (pl.col("relationship") == "head") & (pl.col("sex") == "F") & (pl.col("age") >= 50)
    )
    # Most women over 50 heading a household alone are widows: DAAM's public.
    assert num((lone_women["marital_status"] == "widowed").mean()) == pytest.approx(0.72, abs=0.08)
    assert lone_women.height > 100
