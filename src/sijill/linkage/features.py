"""The columns the linkage model compares, derived from records in the person schema.

With name features (the default) names are compared through our normalisation: each script's
normalised spelling, the script-neutral key (محمد, Mohamed and Mhamed share one), the variant
dictionary's group for given names, and the ASCII form that byte-based distances need. Without
them (the ablation in `sijill linkage evaluate`) the same columns hold the raw spelling in lower
case, so the model, its blocking rules and its SQL stay identical and only the features differ.

Each name function runs once per distinct spelling (`names.per_distinct`): nationally that is
tens of thousands of calls, not one per record.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from sijill.linkage.arabic import written_in_arabic
from sijill.linkage.names import ascii_form, name_key, normalize_arabic, normalize_latin, per_distinct, strip_titles
from sijill.linkage.variants import canonical_given_name

NAME_PARTS = ("given", "family")
SCRIPTS = ("lat", "ar")
PARENTS = ("father", "mother")

# What a null-filled column means for the comparisons: the record says nothing about it.
FEATURE_COLUMNS = (
    "unique_id",
    *(f"{part}_{script}" for part in NAME_PARTS for script in SCRIPTS),
    *(f"{part}_key_{script}" for part in NAME_PARTS for script in SCRIPTS),
    *(f"{part}_ascii_{script}" for part in NAME_PARTS for script in SCRIPTS),
    *(f"given_canon_{script}" for script in SCRIPTS),
    "given_key",
    "family_key",
    *(f"{parent}_key" for parent in PARENTS),
    *(f"{parent}_ascii" for parent in PARENTS),
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_precise",
    "sex",
    "cin",
    "phone",
    "birth_place",
    "address",
    "annex_code",
    "household_id",
)


def _untitled(function: Callable[[str], str], normalise: Callable[[str], str]) -> Callable[[str], str]:
    """Apply ``function`` to the normalised spelling without honorifics (Moulay Ahmed ~ Ahmed)."""

    def apply(text: str) -> str:
        return function(strip_titles(normalise(text)))

    return apply


def _raw(text: str) -> str:
    return " ".join(text.lower().split())


def _spelling_columns(part: str, with_names: bool) -> list[pl.Expr]:
    lat, ar = pl.col(f"{part}_name_lat"), pl.col(f"{part}_name_ar")
    if not with_names:
        raw_lat, raw_ar = per_distinct(lat, _raw), per_distinct(ar, _raw)
        return [
            raw_lat.alias(f"{part}_lat"),
            raw_ar.alias(f"{part}_ar"),
            raw_lat.alias(f"{part}_key_lat"),
            raw_ar.alias(f"{part}_key_ar"),
            raw_lat.alias(f"{part}_ascii_lat"),
            raw_ar.alias(f"{part}_ascii_ar"),
        ]
    return [
        per_distinct(lat, _untitled(str, normalize_latin)).alias(f"{part}_lat"),
        per_distinct(ar, _untitled(str, normalize_arabic)).alias(f"{part}_ar"),
        per_distinct(lat, name_key).alias(f"{part}_key_lat"),
        per_distinct(ar, name_key).alias(f"{part}_key_ar"),
        per_distinct(lat, _untitled(ascii_form, normalize_latin)).alias(f"{part}_ascii_lat"),
        per_distinct(ar, _untitled(ascii_form, normalize_arabic)).alias(f"{part}_ascii_ar"),
    ]


def _given_canon(with_names: bool) -> list[pl.Expr]:
    function = canonical_given_name if with_names else _raw
    return [per_distinct(f"given_name_{script}", function).alias(f"given_canon_{script}") for script in SCRIPTS]


def _parent_columns(with_names: bool) -> list[pl.Expr]:
    key = name_key if with_names else _raw
    ascii_of = _untitled(ascii_form, _any_script) if with_names else _raw
    columns: list[pl.Expr] = []
    for parent in PARENTS:
        name = pl.col(f"{parent}_given_name")
        columns += [
            per_distinct(name, key).alias(f"{parent}_key"),
            per_distinct(name, ascii_of).alias(f"{parent}_ascii"),
        ]
    return columns


def _any_script(text: str) -> str:
    return normalize_arabic(text) if written_in_arabic(text) else normalize_latin(text)


def _empty_to_null(name: str) -> pl.Expr:
    return pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).alias(name)


def _digits_tail(column: str, length: int) -> pl.Expr:
    """The last ``length`` digits: 0612345678, +212612345678 and 00212612345678 are one phone."""
    digits = pl.col(column).str.replace_all(r"\D", "")
    return pl.when(digits.str.len_chars() >= 6).then(digits.str.slice(-length)).alias(column)


def linkage_features(records: pl.DataFrame, with_names: bool = True) -> pl.DataFrame:
    """One row per record with FEATURE_COLUMNS, from the typed person schema (`person_file`)."""
    # A presumed date (1 January of a declared year) says the year only.
    presumed = pl.col("birth_date_presumed")
    frame = records.with_columns(
        pl.when(presumed).then(None).otherwise(pl.col("birth_month")).alias("birth_month"),
        pl.when(presumed).then(None).otherwise(pl.col("birth_day")).alias("birth_day"),
    )
    frame = frame.with_columns(
        *_spelling_columns("given", with_names),
        *_spelling_columns("family", with_names),
        *_given_canon(with_names),
        *_parent_columns(with_names),
    )
    text_features = [
        c for c in FEATURE_COLUMNS if c.startswith(("given_", "family_", "father_", "mother_")) and c in frame.columns
    ]
    frame = frame.with_columns(_empty_to_null(name) for name in text_features)
    # Blocking joins on one column: the Arabic key where there is one (the Arabic spelling varies
    # less between agents than the transliteration), else the Latin one.
    frame = frame.with_columns(
        pl.coalesce("given_key_ar", "given_key_lat").alias("given_key"),
        pl.coalesce("family_key_ar", "family_key_lat").alias("family_key"),
        pl.col("birth_day").is_not_null().alias("birth_precise"),
        pl.col("record_id").alias("unique_id"),
        pl.col("sex").str.to_uppercase().str.slice(0, 1),
        pl.col("cin").str.replace_all(r"[\s\-]", "").str.to_uppercase(),
        _digits_tail("phone", 9),
        pl.col("birth_place").str.to_lowercase(),
        per_distinct("address", _raw).alias("address"),
    )
    return frame.select(FEATURE_COLUMNS)
