"""The person schema that `sijill dedup` and `sijill link` read, from any CSV or Parquet file.

Every column may be empty except ``record_id``; absent columns count as empty, so a registry that
has no phone or no Arabic names can still be linked on what it has. Other column names are mapped
with ``--column TARGET=SOURCE``; a file in the register's import schema (what `sijill synth`
writes) is recognised by its columns and mapped without options. See docs/linkage.md.

Dirty values are what linkage is for, so a birth date that cannot be read is compared as missing
(and counted) rather than refused; what makes the run impossible is refused: no ``record_id``
column, an empty or blank identifier, an identifier twice, fewer than two records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sijill.errors import SijillError, Text
from sijill.table_files import missing_columns, read_table

SCHEMA_DOC = "docs/linkage.md"
PERSON_COLUMNS = (
    "record_id",
    "given_name_lat",
    "family_name_lat",
    "given_name_ar",
    "family_name_ar",
    "father_given_name",
    "mother_given_name",
    "sex",
    "birth_date",
    "cin",
    "phone",
    "birth_place",
    "address",
    "annex_code",
)
# Not in the minimal schema, read when present: a birth date the civil registry presumed (1 January
# of a year someone declared) agrees on its year only; two members of one declared household are
# two persons (a household listing someone twice is a declaration error for the quality rules).
OPTIONAL_COLUMNS = ("birth_date_presumed", "household_id")

# The register's import schema (`sijill synth`, `sijill persons import`): its own column names.
REGISTER_SCHEMA_MAP: dict[str, pl.Expr] = {
    "father_given_name": pl.coalesce("father_given_name_lat", "father_given_name_ar"),
    "mother_given_name": pl.coalesce("mother_given_name_lat", "mother_given_name_ar"),
    "birth_date": pl.coalesce("birth_date", "birth_year"),
    "birth_place": pl.col("birth_place_code"),
}
_REGISTER_MARKERS = ("father_given_name_lat", "birth_year", "birth_place_code")

_FULL_DATE = r"^\d{4}-\d{2}-\d{2}$|^\d{8}$"
_YEAR_MONTH = r"^\d{4}-\d{2}$"
_YEAR = r"^\d{4}$"
_TRUE = ("true", "1", "t", "yes", "y")


@dataclass(frozen=True)
class PersonFile:
    """The records in the person schema, typed: birth dates split into year, month and day."""

    records: pl.DataFrame
    source: str
    absent_columns: tuple[str, ...]
    unreadable_birth_dates: int


def _refused(code: str, field: str, value: object, message: Text, fix: Text) -> SijillError:
    return SijillError(code=code, field=field, value=value, status=422, message=message, fix=fix)


def _parse_mapping(column_map: Mapping[str, str], columns: list[str]) -> dict[str, str]:
    unknown_targets = [target for target in column_map if target not in (*PERSON_COLUMNS, *OPTIONAL_COLUMNS)]
    if unknown_targets:
        names = ", ".join(unknown_targets)
        raise _refused(
            "linkage_unknown_column",
            "column",
            names,
            Text(
                f"أعمدة غير معروفة في المخطط: {names}", f"Colonnes inconnues du schéma : {names}", f"unknown: {names}"
            ),
            Text(
                f"الأعمدة الممكنة: {', '.join(PERSON_COLUMNS)}",
                f"Colonnes possibles : {', '.join(PERSON_COLUMNS)}",
                f"possible columns: {', '.join(PERSON_COLUMNS)}",
            ),
        )
    absent_sources = [source for source in column_map.values() if source not in columns]
    if absent_sources:
        raise missing_columns(absent_sources, SCHEMA_DOC)
    return dict(column_map)


def _renamed(frame: pl.DataFrame, column_map: Mapping[str, str]) -> pl.DataFrame:
    mapping = _parse_mapping(column_map, frame.columns)
    if not mapping and all(marker in frame.columns for marker in _REGISTER_MARKERS):
        present = set(frame.columns)
        return frame.with_columns(
            **{target: expr for target, expr in REGISTER_SCHEMA_MAP.items() if set(expr.meta.root_names()) <= present}
        )
    return frame.with_columns(**{target: pl.col(source) for target, source in mapping.items()})


def _blank_to_null(name: str) -> pl.Expr:
    text = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text).alias(name)


def _birth_parts(frame: pl.DataFrame) -> pl.DataFrame:
    raw = pl.col("birth_date")
    digits = raw.str.replace_all("-", "")
    full = raw.str.contains(_FULL_DATE)
    parsed = pl.when(full).then(digits.str.to_date("%Y%m%d", strict=False))
    year_month = raw.str.contains(_YEAR_MONTH)
    frame = frame.with_columns(parsed.alias("_date"))
    year = (
        pl.when(pl.col("_date").is_not_null())
        .then(pl.col("_date").dt.year())
        .when(year_month | raw.str.contains(_YEAR))
        .then(raw.str.slice(0, 4).cast(pl.Int32, strict=False))
    )
    month = (
        pl.when(pl.col("_date").is_not_null())
        .then(pl.col("_date").dt.month())
        .when(year_month)
        .then(raw.str.slice(5, 2).cast(pl.Int32, strict=False))
    )
    frame = frame.with_columns(
        year.cast(pl.Int32).alias("birth_year"),
        pl.when(month.is_between(1, 12)).then(month).cast(pl.Int32).alias("birth_month"),
        pl.col("_date").dt.day().cast(pl.Int32).alias("birth_day"),
    )
    return frame.drop("_date")


def _check_identifiers(frame: pl.DataFrame, source: str, allow_single: bool) -> None:
    blank = frame.filter(pl.col("record_id").is_null())
    if blank.height:
        rows = ", ".join(str(r) for r in blank["row"].head(10).to_list())
        raise _refused(
            "linkage_record_id_missing",
            "record_id",
            rows,
            Text(f"سطور بدون record_id: {rows}", f"Lignes sans record_id : {rows}", f"rows without record_id: {rows}"),
            Text("أعطوا كل سطر معرفا", "Donnez un identifiant à chaque ligne", "give every row an identifier"),
        )
    repeated = frame.group_by("record_id").len().filter(pl.col("len") > 1)
    if repeated.height:
        ids = ", ".join(repeated["record_id"].sort().head(10).to_list())
        raise _refused(
            "linkage_record_id_repeated",
            "record_id",
            ids,
            Text(f"معرفات مكررة: {ids}", f"Identifiants répétés : {ids}", f"repeated identifiers: {ids}"),
            Text(
                "يجب أن يكون record_id فريدا في الملف",
                "record_id doit être unique dans le fichier",
                "record_id must be unique in the file",
            ),
        )
    if frame.height < 2 and not allow_single:
        raise _refused(
            "linkage_too_few_records",
            "file",
            source,
            Text(
                f"الملف فيه {frame.height} سجل فقط: لا شيء يقارن",
                f"Le fichier n'a que {frame.height} enregistrement : rien à comparer",
                f"the file has {frame.height} record: nothing to compare",
            ),
            Text("يلزم سجلان على الأقل", "Il faut au moins deux enregistrements", "at least two records are needed"),
        )


def person_frame(
    frame: pl.DataFrame, source: str, column_map: Mapping[str, str] | None = None, allow_single: bool = False
) -> PersonFile:
    """Text columns as read (with ``row``) → the typed person schema; refuses what cannot be linked
    (a single record too, unless ``allow_single``: the desk scores one new record)."""
    frame = _renamed(frame, column_map or {})
    if "record_id" not in frame.columns:
        raise missing_columns(["record_id"], SCHEMA_DOC)
    if "row" not in frame.columns:
        frame = frame.with_row_index("row", offset=1)
    absent = tuple(name for name in PERSON_COLUMNS if name not in frame.columns)
    frame = frame.with_columns(pl.lit(None, pl.String).alias(name) for name in absent)
    frame = frame.with_columns(
        pl.lit(None, pl.String).alias(name) for name in OPTIONAL_COLUMNS if name not in frame.columns
    )
    frame = frame.select("row", *(_blank_to_null(name) for name in (*PERSON_COLUMNS, *OPTIONAL_COLUMNS)))
    _check_identifiers(frame, source, allow_single)
    frame = _birth_parts(frame)
    unreadable = frame.filter(pl.col("birth_date").is_not_null() & pl.col("birth_year").is_null()).height
    presumed = pl.col("birth_date_presumed").str.to_lowercase().is_in(_TRUE).fill_null(False)
    return PersonFile(
        records=frame.with_columns(presumed.alias("birth_date_presumed")),
        source=source,
        absent_columns=absent,
        unreadable_birth_dates=unreadable,
    )


def read_person_file(path: Path, column_map: Mapping[str, str] | None = None) -> PersonFile:
    """Read ``path`` (CSV or Parquet) in the person schema, mapping other column names first."""
    return person_frame(read_table(path), path.name, column_map)


def parse_column_options(options: list[str]) -> dict[str, str]:
    """``["given_name_lat=prenom", ...]`` → ``{"given_name_lat": "prenom"}``; refuses a malformed one."""
    mapping: dict[str, str] = {}
    for option in options:
        target, sep, source = option.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise _refused(
                "linkage_column_option",
                "--column",
                option,
                Text(
                    f"خيار عمود غير مفهوم: {option}", f"Option de colonne illisible : {option}", f"bad option: {option}"
                ),
                Text(
                    "اكتبوا --column اسم_المخطط=اسم_العمود_في_الملف",
                    "Écrivez --column NOM_DU_SCHÉMA=NOM_DANS_LE_FICHIER",
                    "write --column SCHEMA_NAME=FILE_COLUMN",
                ),
            )
        mapping[target.strip()] = source.strip()
    return mapping
