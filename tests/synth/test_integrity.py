from __future__ import annotations

from collections.abc import Callable

import polars as pl

from sijill.synth.names_data import MALE_GIVEN
from sijill.synth.registries import ice_numbers
from tests.synth.support import Output, ice_valid, num


def test_demo_integrity(demo: Output, integrity: Callable[[Output], None]) -> None:
    integrity(demo)


def test_national_integrity(national: Output, integrity: Callable[[Output], None]) -> None:
    integrity(national)


def test_every_employer_ice_is_valid(demo: Output) -> None:
    assert ice_valid(demo["registry_cnss_salaried"]["employer_ice"])


def test_ice_check_digits_follow_iso_7064() -> None:
    import numpy as np

    numbers = ice_numbers(np.array([1, 1234567890123, 9999999999999], dtype=np.int64))
    assert all(int(n) % 97 == 1 for n in numbers)
    # Changing one digit breaks the check.
    assert (int(numbers[1]) + 10) % 97 != 1


def test_kinship_is_plausible(demo: Output) -> None:
    persons = demo["persons"].filter(pl.col("household_id").is_not_null())
    heads = persons.filter(pl.col("relationship") == "head").select(
        "household_id", head_sex="sex", head_year="birth_year", head_family="family_name_ar",
        head_given="given_name_ar",
    )  # fmt: skip
    members = persons.join(heads, on="household_id")
    spouses = members.filter(pl.col("relationship") == "spouse")
    assert spouses.height > 0 and (spouses["sex"] != spouses["head_sex"]).all()
    children = members.filter(pl.col("relationship") == "child")
    gap = children["birth_year"].cast(pl.Int32) - children["head_year"].cast(pl.Int32)
    assert num(gap.min()) >= 14 and num(gap.max()) <= 46
    male_given = {ar for ar, _ in MALE_GIVEN}
    assert set(persons["father_given_name_ar"].drop_nulls().to_list()) <= male_given
    # Children of a male head carry his family name and give his given name as their father's.
    bad = set(demo.anomalies["erroneous_agent"]["record_ids"])
    kids = children.filter((pl.col("head_sex") == "M") & ~pl.col("record_id").is_in(list(bad)))
    kids = kids.drop_nulls(["family_name_ar", "head_family"])
    assert num((kids["family_name_ar"] == kids["head_family"]).mean()) > 0.99
    kids = kids.drop_nulls(["father_given_name_ar", "head_given"])
    assert num((kids["father_given_name_ar"] == kids["head_given"]).mean()) > 0.99


def test_registry_members_match_occupations(demo: Output) -> None:
    persons = demo["persons"]
    links = demo["truth_registry_links"].join(persons, on="record_id")
    cnss = links.filter(pl.col("registry") == "cnss_salaried")
    assert (cnss["occupation"].is_in(["employed_formal", "employed_informal"])).all()
    assert num((cnss["occupation"] == "employed_formal").mean()) > 0.8
    assert (links.filter(pl.col("registry") == "civil_servants")["occupation"] == "employed_formal").all()
    pensioners = links.filter(pl.col("registry") == "pensioners")
    assert pensioners["occupation"].is_in(["retired", "homemaker", "inactive"]).all()
    assert num((pensioners["occupation"] == "retired").mean()) > 0.6


def test_registries_make_linkage_non_trivial(demo: Output) -> None:
    cnss = demo["registry_cnss_salaried"]
    missing_cin = cnss["cin"].null_count() / cnss.height
    assert 0.02 < missing_cin < 0.15
    links = demo["truth_registry_links"].filter(pl.col("registry") == "cnss_salaried")
    pairs = links.join(cnss, on="registry_record_id").join(
        demo["persons"].select("record_id", "given_name_lat"), on="record_id", suffix="_rnp"
    )
    pairs = pairs.drop_nulls(["given_name_lat", "given_name_lat_rnp"])
    differ = num((pairs["given_name_lat"] != pairs["given_name_lat_rnp"]).mean())
    assert 0.05 < differ < 0.6
