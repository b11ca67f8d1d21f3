"""Register records (the `person` table's columns) in the linkage person schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from sijill.linkage.person_file import person_frame

# The person table's columns the linkage reads, and household_id (the current household, if any).
REGISTER_COLUMNS = (
    "id",
    "given_name_lat",
    "family_name_lat",
    "given_name_ar",
    "family_name_ar",
    "father_given_name_lat",
    "father_given_name_ar",
    "mother_given_name_lat",
    "mother_given_name_ar",
    "sex",
    "birth_year",
    "birth_date",
    "birth_date_precision",
    "cin",
    "phone",
    "birth_place_code",
    "annex_code",
    "household_id",
)


def register_records(rows: Iterable[Mapping[str, Any] | tuple[Any, ...]]) -> pl.DataFrame:
    """Rows with REGISTER_COLUMNS (mappings or tuples in that order) → the typed person schema."""
    tuples = [tuple(row[c] for c in REGISTER_COLUMNS) if isinstance(row, Mapping) else tuple(row) for row in rows]
    frame = pl.DataFrame(tuples, schema=list(REGISTER_COLUMNS), orient="row", infer_schema_length=None)
    text = [pl.col(c).cast(pl.String) for c in frame.columns]
    frame = frame.select(text)
    full_date = pl.col("birth_date_precision").is_in(["day", "presumed"]) & pl.col("birth_date").is_not_null()
    schema = frame.select(
        pl.col("id").alias("record_id"),
        "given_name_lat",
        "family_name_lat",
        "given_name_ar",
        "family_name_ar",
        pl.coalesce("father_given_name_lat", "father_given_name_ar").alias("father_given_name"),
        pl.coalesce("mother_given_name_lat", "mother_given_name_ar").alias("mother_given_name"),
        "sex",
        pl.when(full_date).then(pl.col("birth_date")).otherwise(pl.col("birth_year")).alias("birth_date"),
        (pl.col("birth_date_precision") == "presumed").cast(pl.String).alias("birth_date_presumed"),
        "cin",
        "phone",
        pl.col("birth_place_code").alias("birth_place"),
        "annex_code",
        "household_id",
    )
    return person_frame(schema, "register", allow_single=True).records
