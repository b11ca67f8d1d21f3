"""Which level of agreement a pair of records falls in, evaluated by DuckDB as Splink does."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl
import pytest

from sijill.linkage.comparisons import Comparison, annex_comparison, birth_date_comparison, comparisons, name_comparison
from sijill.linkage.features import FEATURE_COLUMNS, linkage_features
from sijill.linkage.person_file import person_frame


def _features(**person: str | None) -> dict[str, Any]:
    frame = pl.DataFrame(
        {"record_id": ["1"], **{k: [v] for k, v in person.items()}}, schema_overrides={"record_id": pl.String}
    )
    # person_frame refuses one record: give it a second one, then keep the first.
    frame = pl.concat([frame, frame.with_columns(pl.lit("2").alias("record_id"))], how="vertical")
    return linkage_features(person_frame(frame, "test").records).row(0, named=True)


def level_of(comparison: Comparison, left: dict[str, Any], right: dict[str, Any]) -> str:
    row = {f"{c}_l": [left[c]] for c in FEATURE_COLUMNS} | {f"{c}_r": [right[c]] for c in FEATURE_COLUMNS}
    connection = duckdb.connect()
    connection.register("pair", pl.DataFrame(row).to_arrow())
    for level in comparison["comparison_levels"]:
        if level["sql_condition"] == "ELSE":
            return str(level["label_for_charts"])
        if connection.execute(f"SELECT ({level['sql_condition']}) IS TRUE FROM pair").fetchall()[0][0]:  # noqa: S608
            return str(level["label_for_charts"])
    raise AssertionError("no level matched")


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("1980-05-17", "1980-05-17", "same date"),
        ("1980-05-07", "1980-07-05", "day and month swapped"),
        ("1980-05-17", "1981-05-17", "a year off"),
        # 365 days across a 29 February move the day too.
        ("1980-01-01", "1980-12-31", "a year off"),
        ("1980-05-17", "1980-05-02", "same year and month"),
        ("1980", "1980-05-17", "same year, date not known to the day"),
        ("1980", "1981", "a year apart, date not known"),
        ("1980-05-17", "1990-01-02", "all other"),
        (None, "1990-01-02", "null"),
    ],
)
def test_birth_date_levels(left: str | None, right: str | None, level: str) -> None:
    assert level_of(birth_date_comparison(), _features(birth_date=left), _features(birth_date=right)) == level


def test_a_presumed_date_agrees_on_its_year_only() -> None:
    presumed = _features(birth_date="1950-01-01", birth_date_presumed="true")
    assert level_of(birth_date_comparison(), presumed, _features(birth_date="1950-01-01")) == (
        "same year, date not known to the day"
    )


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ({"given_name_ar": "محمد"}, {"given_name_lat": "Mhamed"}, "same name (script-neutral key)"),
        # The key keeps the article's l of Lahcen; the variant dictionary knows the two are one name.
        ({"given_name_ar": "الحسن"}, {"given_name_lat": "Lahcen"}, "same name in another script or spelling"),
        ({"given_name_lat": "Mohammed"}, {"given_name_lat": "Mohamed"}, "same name (script-neutral key)"),
        ({"given_name_ar": "فاطمة الزهراء"}, {"given_name_ar": "فاطمه الزهراء"}, "same name (script-neutral key)"),
        ({"given_name_lat": "Fatima Zahra"}, {"given_name_lat": "Fatimazahra"}, "same name (script-neutral key)"),
        ({"given_name_lat": "Karim"}, {"given_name_lat": "Karin"}, "Jaro-Winkler >= 0.92"),
        ({"given_name_lat": "Youssef"}, {"given_name_lat": "Hind"}, "all other"),
        ({"given_name_lat": "Youssef"}, {"family_name_lat": "Alami"}, "null"),
        (
            {"given_name_lat": "Laila", "family_name_lat": "Alami"},
            {"given_name_lat": "Alami", "family_name_lat": "Laila"},
            "names in the other order",
        ),
    ],
)
def test_given_name_levels(left: dict[str, str], right: dict[str, str], level: str) -> None:
    assert level_of(name_comparison("given", "family"), _features(**left), _features(**right)) == level


def test_without_name_features_only_the_raw_spelling_agrees() -> None:
    def raw(**person: str) -> dict[str, Any]:
        frame = pl.DataFrame({"record_id": ["1", "2"], **{k: [v, v] for k, v in person.items()}})
        return linkage_features(person_frame(frame, "test").records, with_names=False).row(0, named=True)

    assert level_of(
        name_comparison("given", "family"), raw(given_name_lat="Mohammed"), raw(given_name_lat="MOHAMMED")
    ) == ("same name (script-neutral key)")
    assert level_of(name_comparison("given", "family"), raw(given_name_ar="محمد"), raw(given_name_lat="Mohamed")) != (
        "same name in another script or spelling"
    )


def test_annex_levels() -> None:
    def annex(code: str) -> dict[str, Any]:
        return _features(annex_code=code)

    assert level_of(annex_comparison(), annex("01.02.003.01"), annex("01.02.003.01")) == "same annex"
    assert level_of(annex_comparison(), annex("01.02.003.01"), annex("01.02.003.02")) == "same commune"
    assert level_of(annex_comparison(), annex("01.02.003.01"), annex("01.02.004.01")) == "all other"


def test_comparisons_without_data_are_left_out() -> None:
    names = [c["output_column_name"] for c in comparisons({"given_key", "family_key", "birth_year"})]
    assert names == ["given_name", "family_name", "birth_date"]
