"""Ages computed in batch agree with the register's own rule for one person."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from sijill.programmes.inputs import with_ages
from sijill.scoring.survey import age_at

DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


def _years(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@given(st.lists(st.tuples(DAYS, DAYS), min_size=1, max_size=50))
def test_age_in_completed_years(pairs: list[tuple[date, date]]) -> None:
    frame = pl.DataFrame({"born": [b for b, _ in pairs], "day": [d for _, d in pairs]})
    ages = frame.select(age_at(pl.col("born"), pl.col("day"))).to_series().to_list()
    assert ages == [_years(b, d) for b, d in pairs]


@given(DAYS, DAYS)
def test_age_in_completed_months_and_the_unborn(born: date, day: date) -> None:
    members = with_ages(pl.DataFrame({"born": [born]}), day)
    if born > day:
        assert members.height == 0
        return
    months = (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)
    assert members.row(0, named=True) == {"born": born, "age": _years(born, day), "age_months": months}
