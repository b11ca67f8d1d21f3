"""Vectorised data-entry errors: typing mistakes in names and wrong birth dates."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.rng import BoolArray, IntArray

_LATIN_SUBS = pa.array(list("aeiouyhklmnrst"))
_ARABIC_SUBS = pa.array(list("اويهةىأإدذسصت"))


def typo(rng: np.random.Generator, strings: pa.Array) -> pa.Array:
    """One keyboard-style error per non-null string: deletion, doubling, transposition or substitution."""
    n = len(strings)
    if n == 0:
        return strings
    s = pl.from_arrow(pa.chunked_array([strings]) if isinstance(strings, pa.Array) else strings)
    assert isinstance(s, pl.Series)
    length = s.str.len_chars().fill_null(0).to_numpy().astype(np.int64)
    pos = (rng.random(n) * np.maximum(length - 1, 1)).astype(np.int64)
    op = rng.integers(0, 4, n)
    ascii_ = pc.fill_null(pc.string_is_ascii(strings), True).to_numpy(zero_copy_only=False)
    sub_latin = pc.take(_LATIN_SUBS, pa.array(rng.integers(0, len(_LATIN_SUBS), n)))
    sub_arabic = pc.take(_ARABIC_SUBS, pa.array(rng.integers(0, len(_ARABIC_SUBS), n)))
    sub = pc.if_else(pa.array(ascii_), sub_latin, sub_arabic)
    df = pl.DataFrame({"s": s, "p": pos, "op": op, "c": pl.from_arrow(sub)})
    col, p = pl.col("s"), pl.col("p")
    head = col.str.slice(0, p)
    out = df.select(
        pl.when(pl.col("op") == 0)
        .then(pl.concat_str([head, col.str.slice(p + 1)]))
        .when(pl.col("op") == 1)
        .then(pl.concat_str([col.str.slice(0, p + 1), col.str.slice(p)]))
        .when(pl.col("op") == 2)
        .then(pl.concat_str([head, col.str.slice(p + 1, 1), col.str.slice(p, 1), col.str.slice(p + 2)]))
        .otherwise(pl.concat_str([head, pl.col("c"), col.str.slice(p + 1)]))
        .alias("s")
    )["s"]
    return pc.cast(out.to_arrow(), pa.string())


def typo_where(rng: np.random.Generator, strings: pa.Array, mask: BoolArray) -> pa.Array:
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return strings
    changed = typo(rng, strings.take(pa.array(idx)))
    return pc.replace_with_mask(strings, pa.array(mask), changed)


def swappable(days: IntArray) -> BoolArray:
    """Dates whose day and month can be exchanged into another valid date."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    out: BoolArray = (dom <= 12) & (dom != month)
    return out


def swap_day_month(days: IntArray) -> IntArray:
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]").astype(np.int64)
    year_start = months - months % 12
    dom = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    month = months % 12 + 1
    ok = (dom <= 12) & (dom != month)
    new_months = year_start + np.where(ok, dom - 1, month - 1)
    new_day = np.where(ok, month, dom)
    out: IntArray = new_months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + new_day - 1
    return out
