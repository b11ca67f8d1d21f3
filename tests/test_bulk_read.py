"""Reading fixed-width rows through PostgreSQL's binary COPY: exact values, refusals instead of misreads."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine

from sijill.bulk import read_fixed_rows

FIELDS = [("id", ">i8"), ("flag", "?"), ("small", ">i2"), ("raw", "V3")]

# Binary COPY is PostgreSQL's.
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def postgres(engine: Engine) -> Engine:
    return engine


def test_rows_come_back_with_their_values(postgres: Engine) -> None:
    sql = "SELECT g::int8, g % 2 = 0, (-g)::int2, '\\x616263'::bytea FROM generate_series(1, 5) g"
    with postgres.connect() as connection:
        rows = read_fixed_rows(connection, sql, FIELDS)
    assert rows["id"].tolist() == [1, 2, 3, 4, 5]
    assert rows["flag"].tolist() == [False, True, False, True, False]
    assert rows["small"].astype(np.int16).tolist() == [-1, -2, -3, -4, -5]
    assert {bytes(v) for v in rows["raw"]} == {b"abc"}


def test_no_rows_is_an_empty_array(postgres: Engine) -> None:
    with postgres.connect() as connection:
        rows = read_fixed_rows(connection, "SELECT 1::int8, true, 1::int2, '\\x00'::bytea WHERE false", FIELDS)
    assert len(rows) == 0


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT NULL::int8, true, 1::int2, '\\x616263'::bytea",
        "SELECT 1::int4, true, 1::int2, '\\x616263'::bytea",
        "SELECT 1::int8, true, 1::int2, '\\x61626364'::bytea",
        "SELECT 1::int8, true, 1::int2, CASE WHEN g = 2 THEN '\\x61'::bytea ELSE '\\x616263' END "
        "FROM generate_series(1, 3) g",
    ],
    ids=["null", "narrower integer", "wider bytes", "one row wider"],
)
def test_a_null_or_a_value_of_another_width_is_refused(postgres: Engine, sql: str) -> None:
    with postgres.connect() as connection, pytest.raises(ValueError, match="expected width"):
        read_fixed_rows(connection, sql, FIELDS)
