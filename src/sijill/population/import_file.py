"""Read and shape a register file (CSV or Parquet, the person schema `sijill synth` writes).

Only reading and shaping live here; checking and applying are in ``bulk_import``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sijill.table_files import missing_columns, read_table

REQUIRED_COLUMNS = ("record_id", "sex", "annex_code")
PERSON_COLUMNS = (
    "given_name_ar", "family_name_ar", "given_name_lat", "family_name_lat", "father_given_name_ar",
    "father_given_name_lat", "mother_given_name_ar", "mother_given_name_lat", "sex", "birth_year", "birth_date",
    "birth_date_precision", "birth_place_code", "nationality", "cin", "phone", "annex_code",
)  # fmt: skip


def read_rows(path: Path) -> pl.DataFrame:
    """Every column as text (types are checked by the validation rules), plus a 1-based ``row``."""
    frame = read_table(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if not ("birth_year" in frame.columns or "birth_date" in frame.columns):
        missing.append("birth_year|birth_date")
    if missing:
        raise missing_columns(missing, "docs/operations.md")
    return frame


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
