"""Vectorised data-entry errors: typing mistakes in names and wrong birth dates."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.columns import null_mask
from sijill.synth.rng import BoolArray, IntArray

_LATIN_SUBS = pa.array(list("aeiouyhklmnrst"))
_ARABIC_SUBS = pa.array(list("اويهةىأإدذسصت"))
# Latin names carry non-ASCII letters too (Saïd, Younès), so the script is told by its letters.
_ARABIC_LETTER = r"\p{Arabic}"
NAME_COLUMNS = ("given_name_lat", "family_name_lat", "given_name_ar", "family_name_ar")


def typo(rng: np.random.Generator, strings: pa.Array) -> pa.Array:
    """One keyboard-style error per non-null string: deletion, doubling, transposition or substitution,
    with a letter of the string's own script; the result always differs from the input."""
    n = len(strings)
    if n == 0:
        return strings
    s = pl.from_arrow(pa.chunked_array([strings]) if isinstance(strings, pa.Array) else strings)
    assert isinstance(s, pl.Series)
    length = s.str.len_chars().fill_null(0).to_numpy().astype(np.int64)
    pos = (rng.random(n) * np.maximum(length - 1, 1)).astype(np.int64)
    op = rng.integers(0, 4, n)
    arabic = pc.fill_null(pc.match_substring_regex(strings, _ARABIC_LETTER), False)
    sub_latin = pc.take(_LATIN_SUBS, pa.array(rng.integers(0, len(_LATIN_SUBS), n)))
    sub_arabic = pc.take(_ARABIC_SUBS, pa.array(rng.integers(0, len(_ARABIC_SUBS), n)))
    sub = pc.if_else(arabic, sub_arabic, sub_latin)
    df = pl.DataFrame({"s": s, "p": pos, "op": op, "c": pl.from_arrow(sub)})
    col, p = pl.col("s"), pl.col("p")
    head = col.str.slice(0, p)
    doubled = pl.concat_str([col.str.slice(0, p + 1), col.str.slice(p)])
    typed = (
        pl.when(pl.col("op") == 0)
        .then(pl.concat_str([head, col.str.slice(p + 1)]))
        .when(pl.col("op") == 1)
        .then(doubled)
        .when(pl.col("op") == 2)
        .then(pl.concat_str([head, col.str.slice(p + 1, 1), col.str.slice(p, 1), col.str.slice(p + 2)]))
        .otherwise(pl.concat_str([head, pl.col("c"), col.str.slice(p + 1)]))
    )
    # Swapping the two l of "Abdellah" or substituting a letter by itself changes nothing, yet the
    # record is logged as misspelt: those rows get the doubling, which always changes the string.
    out = df.select(pl.when(typed == col).then(doubled).otherwise(typed).alias("s"))["s"]
    return pc.cast(out.to_arrow(), pa.string())


def typo_where(rng: np.random.Generator, strings: pa.Array, mask: BoolArray) -> pa.Array:
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return strings
    changed = typo(rng, strings.take(pa.array(idx)))
    return pc.replace_with_mask(strings, pa.array(mask), changed)


def misspell_names(rng: np.random.Generator, columns: dict[str, pa.Array], mask: BoolArray) -> dict[str, pa.Array]:
    """The four name columns (NAME_COLUMNS) with one typing error in the given or the family name of each
    masked record: in its Latin spelling, or in Arabic when the record has no Latin name."""
    on_given = rng.random(len(mask)) < 0.5
    latin = ~null_mask(columns["given_name_lat"])
    out: dict[str, pa.Array] = {}
    for script, target in (("lat", mask & latin), ("ar", mask & ~latin)):
        out[f"given_name_{script}"] = typo_where(rng, columns[f"given_name_{script}"], target & on_given)
        out[f"family_name_{script}"] = typo_where(rng, columns[f"family_name_{script}"], target & ~on_given)
    return out


# How two agents write one Arabic name differently without a typing error: hamza on the alef or
# not, final ة or ه, final ى or ي, عبد joined to the rest of the name or not, the article or not.
_ARABIC_VARIANTS: tuple[tuple[str, str], ...] = (
    ("[أإآ]", "ا"),
    ("ة($| )", "ه$1"),
    ("ى($| )", "ي$1"),
    ("عبد ", "عبد"),
    ("^ال", ""),
)


def arabic_variant(rng: np.random.Generator, strings: pa.Array, mask: BoolArray) -> pa.Array:
    """Masked strings rewritten with some of the orthographic variants above (each with
    probability one half); a name none of them applies to stays as it was."""
    if not mask.any():
        return strings
    series = pl.from_arrow(pa.chunked_array([strings]) if isinstance(strings, pa.Array) else strings)
    assert isinstance(series, pl.Series)
    frame = pl.DataFrame({"s": series})
    out = pl.col("s")
    for i, (pattern, replacement) in enumerate(_ARABIC_VARIANTS):
        frame = frame.with_columns(pl.Series(f"apply{i}", mask & (rng.random(len(mask)) < 0.5)))
        out = pl.when(pl.col(f"apply{i}")).then(out.str.replace_all(pattern, replacement)).otherwise(out)
    return pc.cast(frame.select(out.alias("s"))["s"].to_arrow(), pa.string())


def _month_and_day(days: IntArray) -> tuple[IntArray, IntArray]:
    """Months since January 1970 and day of the month (1-31) of each date."""
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    return months.astype(np.int64), (d - months).astype(np.int64) + 1


def swappable(days: IntArray) -> BoolArray:
    """Dates whose day and month can be exchanged into another valid date."""
    months, dom = _month_and_day(days)
    out: BoolArray = (dom <= 12) & (dom != months % 12 + 1)
    return out


def swap_day_month(days: IntArray) -> IntArray:
    """Day and month exchanged where ``swappable``; other dates unchanged."""
    months, dom = _month_and_day(days)
    month = months % 12 + 1
    ok = swappable(days)
    new_months = np.where(ok, months - months % 12 + dom - 1, months)
    new_day = np.where(ok, month, dom)
    out: IntArray = new_months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + new_day - 1
    return out
