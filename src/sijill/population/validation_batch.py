"""Validation of a whole frame of person records (bulk import): the rules of
``validation_rules`` as polars expressions, no Python loop per row. A property test checks that
this form and ``validation.check_person`` give the same problems and normalised values.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from functools import cache

import phonenumbers
import polars as pl

from sijill.population.nationalities import nationalities
from sijill.population.validation import normalize_phone
from sijill.population.validation_rules import (
    ASCII_ALNUM,
    CIN_PATTERN,
    CIN_SEPARATORS,
    CODE_MAX,
    CODE_PATTERN,
    CONTROL,
    DATE_PATTERN,
    DATED_PRECISIONS,
    FIELD_ORDER,
    FIELDS,
    ISO_ALPHA3,
    MA_COUNTRY_CODE,
    MIN_DATE,
    MIN_YEAR,
    NAME_FIELDS,
    NAME_GROUPS,
    NAME_MAX,
    PRECISIONS,
    REQUIRED,
    RULES,
    SCRIPTS,
    SEXES,
    TRIM_CHARS,
    YEAR_PATTERN,
    rule_texts,
)

# --------------------------------------------------------------------------------------------
# A frame: the same rules as polars expressions


def _text_expr(frame: pl.DataFrame, name: str) -> pl.Expr:
    """Twin of ``_as_text``: text form, trimmed, empty as null."""
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String).alias(name)
    column = pl.col(name)
    if isinstance(frame.schema[name], pl.Datetime):
        column = column.dt.date()
    text = column.cast(pl.String).str.strip_chars(TRIM_CHARS)
    return pl.when(text.str.len_bytes() > 0).then(text).alias(name)


def _anchored(pattern: str) -> str:
    """The polars form of ``re.fullmatch``: Rust's ``$`` is the end of the text (no newline quirk)."""
    return f"^(?:{pattern})$"


def _matches(column: pl.Expr, pattern: str) -> pl.Expr:
    return column.str.contains(_anchored(pattern))


def _usable(name: str) -> pl.Expr:
    """The trimmed text if free of control characters (the ``usable`` dict of ``check_person``)."""
    return pl.when(~pl.col(name).str.contains(CONTROL)).then(pl.col(name))


def _phone_e164(phones: pl.Series) -> pl.Expr:
    """E.164 of each usable phone, by calling phonenumbers on the distinct values only.

    phonenumbers is pure Python (10 to 25 µs a number) and has no vectorised form; shared numbers
    (a household's phone, repeated imports) are parsed once, then mapped back in one polars step.
    """
    distinct = phones.drop_nulls().unique()
    # Mobile numbers already written +2126/+2127 and nine digits (what exports and our own files
    # hold) are valid or not by their first three national digits alone, in the numbering plan's
    # metadata: decide them by prefix, vectorised, and call phonenumbers only on the other shapes.
    canonical = distinct.filter(distinct.str.contains(r"^\+212[67][0-9]{8}$"))
    validity = _mobile_prefix_validity()
    valid = canonical.filter(canonical.str.slice(4, 3).replace_strict(validity, default=False, return_dtype=pl.Boolean))
    others = distinct.filter(~distinct.is_in(canonical.implode())).to_list()
    uniques = valid.to_list() + others
    e164 = valid.to_list() + [normalize_phone(text) for text in others]
    return pl.col("_phone").replace_strict(uniques, e164, default=None, return_dtype=pl.String)


@cache
def _mobile_prefix_validity() -> dict[str, bool]:
    """Valid three-digit mobile prefixes (600..799), read from phonenumbers' own metadata."""
    return {
        str(prefix): phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=MA_COUNTRY_CODE, national_number=prefix * 1_000_000)
        )
        for prefix in range(600, 800)
    }


def compact_cin(value: pl.Expr) -> pl.Expr:
    """``"ab 123456"`` -> ``"AB123456"``, as ``validation.normalize_cin`` does for one value."""
    cin = value.str.replace_all(CIN_SEPARATORS, "")
    return pl.when(_matches(cin, ASCII_ALNUM)).then(cin.str.to_uppercase()).otherwise(cin)


def cin_is_valid(value: pl.Expr) -> pl.Expr:
    return _matches(value, CIN_PATTERN)


def _derived(work: pl.DataFrame) -> pl.DataFrame:
    """Usable values and parsed forms, the columns the rules below read."""
    work = work.with_columns(*(_usable(name).alias(f"_ok_{name}") for name in FIELDS))
    year_ok = _matches(pl.col("_ok_birth_year"), YEAR_PATTERN)
    date_ok = _matches(pl.col("_ok_birth_date"), DATE_PATTERN)
    work = work.with_columns(
        compact_cin(pl.col("_ok_cin")).alias("_cin"),
        pl.when(year_ok).then(pl.col("_ok_birth_year").cast(pl.Int64, strict=False)).alias("_year"),
        pl.when(date_ok).then(pl.col("_ok_birth_date").str.to_date("%Y-%m-%d", strict=False)).alias("_date"),
        _upper_or_same("_ok_sex", SEXES).alias("_sex"),
        _lower_or_same("_ok_birth_date_precision", PRECISIONS).alias("_precision"),
        pl.when(_matches(pl.col("_ok_nationality"), ISO_ALPHA3))
        .then(pl.col("_ok_nationality").str.to_uppercase())
        .otherwise(pl.col("_ok_nationality"))
        .alias("_nationality"),
        pl.col("_ok_phone").alias("_phone"),
    )
    return work.with_columns(_phone_e164(work["_phone"]).alias("_e164"))


def _upper_or_same(name: str, allowed: Collection[str]) -> pl.Expr:
    upper = pl.col(name).str.to_uppercase()
    return pl.when(upper.is_in(list(allowed))).then(upper).otherwise(pl.col(name))


def _lower_or_same(name: str, allowed: Collection[str]) -> pl.Expr:
    lower = pl.col(name).str.to_lowercase()
    return pl.when(lower.is_in(list(allowed))).then(lower).otherwise(pl.col(name))


Check = tuple[str, str, pl.Expr]  # (field, rule, true where the row breaks the rule)


def _name_checks() -> list[Check]:
    checks: list[Check] = [
        (group, f"{group}_required", pl.col(f"{group}_ar").is_null() & pl.col(f"{group}_lat").is_null())
        for group in NAME_GROUPS
    ]
    for name, script in NAME_FIELDS.items():
        usable = pl.col(f"_ok_{name}")
        allowed, letters = SCRIPTS[script]
        checks.append((name, "name_too_long", usable.str.len_chars() > NAME_MAX))
        checks.append((name, f"name_not_{script}", ~(_matches(usable, allowed) & usable.str.contains(letters))))
    return checks


def _birth_checks(today: date) -> list[Check]:
    year, born, precision = pl.col("_year"), pl.col("_date"), pl.col("_precision")
    dated = precision.is_in(list(DATED_PRECISIONS))
    return [
        ("birth_year", "birth_year_invalid", pl.col("_ok_birth_year").is_not_null() & year.is_null()),
        ("birth_year", "birth_year_range", (year < MIN_YEAR) | (year > today.year)),
        ("birth_date", "birth_date_invalid", pl.col("_ok_birth_date").is_not_null() & born.is_null()),
        ("birth_date", "birth_date_range", (born < MIN_DATE) | (born > today)),
        ("birth_date_precision", "birth_precision_invalid", ~precision.is_in(list(PRECISIONS))),
        ("birth_date", "birth_date_required", dated & pl.col("birth_date").is_null()),
        ("birth_date", "birth_date_unexpected", (precision == "year") & pl.col("birth_date").is_not_null()),
        ("birth_date", "birth_date_year_mismatch", dated & (born.dt.year() != year)),
    ]


def _value_checks(known_annexes: Collection[str]) -> list[Check]:
    checks: list[Check] = [(name, "required", pl.col(name).is_null()) for name in REQUIRED]
    checks += [
        ("sex", "sex_invalid", ~pl.col("_sex").is_in(list(SEXES))),
        ("cin", "cin_format", ~_matches(pl.col("_cin"), CIN_PATTERN)),
        ("phone", "phone_invalid", pl.col("_phone").is_not_null() & pl.col("_e164").is_null()),
        ("nationality", "nationality_unknown", ~pl.col("_nationality").is_in(list(nationalities()))),
    ]
    for name in ("birth_place_code", "annex_code"):
        code = pl.col(f"_ok_{name}")
        checks.append((name, "code_format", ~(_matches(code, CODE_PATTERN) & (code.str.len_chars() <= CODE_MAX))))
    annex = pl.col("_ok_annex_code")
    well_formed = _matches(annex, CODE_PATTERN) & (annex.str.len_chars() <= CODE_MAX)
    checks.append(("annex_code", "annex_unknown", well_formed & ~annex.is_in(list(known_annexes))))
    return checks


def _problem_rows(work: pl.DataFrame, checks: list[Check], today: date) -> pl.DataFrame:
    """One row per broken rule; a null mask (value absent) means no problem, as in ``check_person``."""
    parts = []
    for field, rule, broken in checks:
        value = (
            pl.lit("")
            if field in NAME_GROUPS or rule == "required"
            else pl.col(field).str.replace_all(CONTROL, "\ufffd").fill_null("")  # absent, as in check_person
        )
        parts.append(
            work.lazy()
            .filter(broken.fill_null(False))
            .select(
                pl.col("_row").alias("row"),
                pl.lit(field).alias("field"),
                value.alias("value"),
                pl.lit(rule).alias("rule"),
                pl.lit(FIELD_ORDER.index(field)).alias("_field_rank"),
                pl.lit(RULES.index(rule)).alias("_rule_rank"),
            )
        )
    return (
        pl.concat(parts)
        .join(_messages_frame(today).lazy(), on="rule", how="left")
        .sort("row", "_field_rank", "_rule_rank")
        .drop("_field_rank", "_rule_rank")
        .collect()
    )


def _messages_frame(today: date) -> pl.DataFrame:
    texts = rule_texts(today)
    columns: dict[str, list[str]] = {"rule": list(texts)}
    for part, pick in (("message", 0), ("fix", 1)):
        for language in ("ar", "fr", "en"):
            columns[f"{part}_{language}"] = [getattr(pair[pick], language) for pair in texts.values()]
    return pl.DataFrame(columns)


def _control_checks() -> list[Check]:
    return [(name, "control_character", pl.col(name).str.contains(CONTROL)) for name in FIELDS]


def _normalised_columns() -> list[pl.Expr]:
    """Twin of ``_normalised``: usable values normalised, the others keep their trimmed text."""

    def keep(name: str, derived: str) -> pl.Expr:
        return pl.coalesce(pl.col(derived), pl.col(name))

    return [
        *(pl.col(name) for name in NAME_FIELDS),
        keep("sex", "_sex").alias("sex"),
        pl.col("_year").alias("birth_year"),
        pl.col("_date").alias("birth_date"),
        keep("birth_date_precision", "_precision").alias("birth_date_precision"),
        pl.col("birth_place_code"),
        keep("nationality", "_nationality").alias("nationality"),
        keep("cin", "_cin").alias("cin"),
        pl.coalesce(pl.col("_e164"), pl.col("phone")).alias("phone"),
        pl.col("annex_code"),
    ]


def check_people(
    frame: pl.DataFrame, *, today: date, known_annexes: Collection[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Batch form of ``check_person``: (normalised frame, problems frame).

    The problems frame has one row per problem: ``row`` (the frame's ``row`` column if it has
    one, else the 0-based position), ``field``, ``value``, ``rule``, ``message_ar/fr/en`` and
    ``fix_ar/fr/en``; it is sorted by row, field and rule like ``check_person``'s list.
    Columns other than the register fields pass through unchanged.
    """
    row = pl.col("row").cast(pl.Int64) if "row" in frame.columns else pl.int_range(pl.len(), dtype=pl.Int64)
    work = _derived(frame.select(row.alias("_row"), *(_text_expr(frame, name) for name in FIELDS)))
    checks = _control_checks() + _name_checks() + _birth_checks(today) + _value_checks(known_annexes)
    problems = _problem_rows(work, checks, today)
    normalised = frame.with_columns(work.select(_normalised_columns()).get_columns())
    return normalised, problems
