"""Read and shape a register file (CSV or Parquet, the person schema `sijill synth` writes).

Only reading and shaping live here; checking and applying are in ``bulk_import``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from sijill.errors import SijillError, Text

REQUIRED_COLUMNS = ("record_id", "sex", "annex_code")
PERSON_COLUMNS = (
    "given_name_ar", "family_name_ar", "given_name_lat", "family_name_lat", "father_given_name_ar",
    "father_given_name_lat", "mother_given_name_ar", "mother_given_name_lat", "sex", "birth_year", "birth_date",
    "birth_date_precision", "birth_place_code", "nationality", "cin", "phone", "annex_code",
)  # fmt: skip


def _unreadable(path: Path, reason: str) -> SijillError:
    return SijillError(
        code="import_file_unreadable",
        field="file",
        value=path.name,
        status=422,
        message=Text(f"تعذرت قراءة الملف: {reason}", f"Fichier illisible : {reason}", f"cannot read file: {reason}"),
        fix=Text(
            "استعملوا ملف CSV بترميز UTF-8 (نفس عدد الأعمدة في كل سطر) أو Parquet",
            "Utilisez un CSV en UTF-8 (même nombre de colonnes à chaque ligne) ou un Parquet",
            "use a UTF-8 CSV with the same number of columns on every line, or Parquet",
        ),
    )


def _short_line(path: Path) -> int | None:
    """The first data line with fewer fields than the header, if any.

    Polars fills missing trailing fields with nulls instead of refusing the line, which would turn
    a damaged file into silently wrong records; counting fields needs the CSV grammar (quoted
    commas), so this one pass uses the standard library's C reader.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        width = len(next(reader, []))
        for number, fields in enumerate(reader, start=2):
            if len(fields) != width and fields:
                return number
    return None


def read_rows(path: Path) -> pl.DataFrame:
    """Every column as text (types are checked by the validation rules), plus a 1-based ``row``."""
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
            frame = frame.with_columns(pl.all().cast(pl.String))
        else:
            # Polars refuses invalid UTF-8 and ragged lines here, before anything is checked or written.
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
            short = _short_line(path)
            if short is not None:
                raise _unreadable(path, f"line {short} does not have as many fields as the header")
    except (
        pl.exceptions.ComputeError,
        pl.exceptions.NoDataError,
        pl.exceptions.ShapeError,
        OSError,
        UnicodeDecodeError,
    ) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _unreadable(path, first_line[:200]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    has_birth = "birth_year" in frame.columns or "birth_date" in frame.columns
    if missing or not has_birth:
        wanted = missing + ([] if has_birth else ["birth_year|birth_date"])
        raise SijillError(
            code="import_columns_missing",
            field="columns",
            value=", ".join(wanted),
            status=422,
            message=Text(
                f"أعمدة ناقصة: {', '.join(wanted)}",
                f"Colonnes manquantes : {', '.join(wanted)}",
                f"missing columns: {', '.join(wanted)}",
            ),
            fix=Text(
                "انظروا مخطط الأعمدة في docs/operations.md",
                "Voir le schéma des colonnes dans docs/operations.md",
                "see the column schema in docs/operations.md",
            ),
        )
    if frame.height == 0:
        raise _unreadable(path, "no rows")
    return frame.with_row_index("row", offset=1)


def shape(frame: pl.DataFrame) -> pl.DataFrame:
    """Map the synth/export columns onto the register fields the validation rules expect."""
    for name in PERSON_COLUMNS:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    if "birth_date_presumed" in frame.columns:
        presumed = pl.col("birth_date_presumed").str.to_lowercase().is_in(["true", "1", "t", "yes"])
        precision = (
            pl.when(pl.col("birth_date").is_null()).then(pl.lit("year"))
            .when(presumed).then(pl.lit("presumed")).otherwise(pl.lit("day"))
        )  # fmt: skip
        frame = frame.with_columns(pl.coalesce("birth_date_precision", precision).alias("birth_date_precision"))
    frame = frame.with_columns(
        pl.coalesce(
            "birth_date_precision",
            pl.when(pl.col("birth_date").is_null()).then(pl.lit("year")).otherwise(pl.lit("day")),
        ).alias("birth_date_precision"),
        pl.coalesce("birth_year", pl.col("birth_date").str.slice(0, 4)).alias("birth_year"),
        pl.col("record_id").str.strip_chars().alias("record_id"),
    )
    return frame.select("row", "record_id", *PERSON_COLUMNS)
