"""Between numpy and Arrow: dates as day numbers, labels from category codes, null masks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.synth.rng import BoolArray, IntArray


def day(text: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int(np.datetime64(text, "D").astype(np.int64))


def years_of(days: IntArray) -> IntArray:
    out: IntArray = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return out


def jan_first(years: IntArray) -> IntArray:
    out: IntArray = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    return out


def month_start(days: IntArray) -> IntArray:
    out: IntArray = days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return out


def date_array(days: IntArray, missing: BoolArray | None = None) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), type=pa.date32(), mask=missing)


def null_mask(array: pa.Array | pa.ChunkedArray) -> BoolArray:
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)


def day_numbers(dates: pa.Array | pa.ChunkedArray) -> tuple[IntArray, BoolArray]:
    """Days since 1970-01-01 of a date column (0 where null), and where the date is known."""
    days: IntArray = pc.fill_null(dates.cast(pa.int32()), 0).to_numpy().astype(np.int64)
    return days, ~null_mask(dates)


def labels(names: tuple[str, ...], codes: IntArray) -> pa.Array:
    """The label of each category code; a negative code gives null."""
    return pc.take(pa.array(names, type=pa.string()), pa.array(codes, mask=codes < 0))
