"""Reading files in the person schema for `sijill dedup` / `sijill link`."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sijill.errors import SijillError
from sijill.linkage.person_file import parse_column_options, person_frame, read_person_file


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_birth_dates_in_every_documented_precision(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "record_id,given_name_lat,birth_date\na,Ali,1980-05-17\nb,Ali,1980-05\nc,Ali,1980\nd,Ali,19800517\n"
        "e,Ali,17/05/1980\nf,Ali,1980-13-01\ng,Ali,\n",
    )
    file = read_person_file(path)
    parts = file.records.select("record_id", "birth_year", "birth_month", "birth_day").rows()
    assert parts == [
        ("a", 1980, 5, 17),
        ("b", 1980, 5, None),
        ("c", 1980, None, None),
        ("d", 1980, 5, 17),
        ("e", None, None, None),
        ("f", None, None, None),
        ("g", None, None, None),
    ]
    # Unreadable dates are compared as missing, and counted for the user; an empty one is not "unreadable".
    assert file.unreadable_birth_dates == 2


def test_absent_columns_are_empty_and_reported(tmp_path: Path) -> None:
    file = read_person_file(_csv(tmp_path, "record_id,family_name_ar\n1,العلوي\n2,الإدريسي\n"))
    assert "phone" in file.absent_columns and "family_name_ar" not in file.absent_columns
    assert file.records["phone"].null_count() == 2
    assert file.records["family_name_ar"].to_list() == ["العلوي", "الإدريسي"]


def test_columns_are_mapped_by_option(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,prenom,nom,naissance\n1,Said,Alami,1990-01-02\n2,Saïd,Alami,1990-01-02\n")
    mapping = parse_column_options(
        ["record_id=id", "given_name_lat=prenom", "family_name_lat=nom", "birth_date=naissance"]
    )
    records = read_person_file(path, mapping).records
    assert records["given_name_lat"].to_list() == ["Said", "Saïd"]
    assert records["birth_day"].to_list() == [2, 2]


def test_register_schema_is_recognised_without_options() -> None:
    frame = pl.DataFrame(
        {
            "record_id": ["1", "2"],
            "household_id": ["7", "7"],
            "father_given_name_lat": ["Ahmed", None],
            "father_given_name_ar": ["أحمد", "أحمد"],
            "mother_given_name_lat": ["Fatima", "Fatima"],
            "mother_given_name_ar": ["فاطمة", "فاطمة"],
            "birth_date": [None, "1970-01-01"],
            "birth_year": ["1950", "1970"],
            "birth_date_presumed": ["false", "true"],
            "birth_place_code": ["01.01", None],
        }
    )
    records = person_frame(frame, "persons.parquet").records
    assert records["father_given_name"].to_list() == ["Ahmed", "أحمد"]
    assert records["birth_year"].to_list() == [1950, 1970]
    assert records["birth_month"].to_list() == [None, 1]
    assert records["birth_date_presumed"].to_list() == [False, True]
    assert records["birth_place"].to_list() == ["01.01", None]
    assert records["household_id"].to_list() == ["7", "7"]


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [
        ("name\nAli\nOmar\n", "import_columns_missing", "columns"),
        ("record_id,given_name_lat\n1,Ali\n", "linkage_too_few_records", "file"),
        ("record_id,given_name_lat\n1,Ali\n,Omar\n3,Hind\n", "linkage_record_id_missing", "record_id"),
        ("record_id,given_name_lat\n1,Ali\n1,Omar\n", "linkage_record_id_repeated", "record_id"),
        ("", "import_file_unreadable", "file"),
        ("record_id,given_name_lat\n1,Ali\n2\n", "import_file_unreadable", "file"),
    ],
)
def test_files_that_cannot_be_linked_are_refused(tmp_path: Path, text: str, code: str, field: str) -> None:
    with pytest.raises(SijillError) as refused:
        read_person_file(_csv(tmp_path, text))
    assert refused.value.code == code
    assert refused.value.field == field
    assert refused.value.message.ar and refused.value.message.fr


def test_blank_identifier_rows_are_named(tmp_path: Path) -> None:
    with pytest.raises(SijillError) as refused:
        read_person_file(_csv(tmp_path, "record_id,given_name_lat\n1,Ali\n  ,Omar\n3,Hind\n"))
    assert refused.value.value == "2"


@pytest.mark.parametrize("option", ["given_name_lat", "=prenom", "given_name_lat="])
def test_malformed_column_options_are_refused(option: str) -> None:
    with pytest.raises(SijillError) as refused:
        parse_column_options([option])
    assert refused.value.code == "linkage_column_option"


def test_mapping_to_an_unknown_target_or_from_an_absent_column_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,prenom\n1,Ali\n2,Omar\n")
    with pytest.raises(SijillError) as unknown:
        read_person_file(path, {"surname": "prenom", "record_id": "id"})
    assert unknown.value.code == "linkage_unknown_column" and unknown.value.value == "surname"
    with pytest.raises(SijillError) as absent:
        read_person_file(path, {"record_id": "identifier"})
    assert absent.value.code == "import_columns_missing" and absent.value.value == "identifier"
