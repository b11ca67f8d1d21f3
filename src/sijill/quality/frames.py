"""Read a scoped SQLAlchemy query as a polars frame, at bulk speed (COPY on PostgreSQL).

The detectors read whole territories; driver rows turned into Python tuples cost more than the
query. The statement is compiled with its parameters written in: they are territory codes and
dates the caller already validated, never free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Select
from sqlalchemy.orm import Session

from sijill.bulk import read_frame

# Where a query wants two workers and hash tables in memory (the funnel): see below.
PARALLEL_SETTINGS = ("parallel_setup_cost = 0", "parallel_tuple_cost = 0", "work_mem = '64MB'")


def select_frame(
    session: Session, statement: Select[*tuple[Any, ...]], schema: Mapping[str, pl.DataType], *, parallel: bool = False
) -> pl.DataFrame:
    """The rows of ``statement`` (columns in the order of ``schema``) inside the session's transaction."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Reports scan whole territories. Measured on the funnel: JIT compilation cost more than
        # it saved (1.4 s of 2.5 s at 1M persons); the planner kept a 5M-row join serial that runs
        # in 5.5 s instead of 7.3 s on two workers with hash tables kept in memory (other reports
        # ran slower so: they ask for it query by query). For this transaction only.
        connection.exec_driver_sql("SET LOCAL jit = off")
        for setting in PARALLEL_SETTINGS if parallel else ():
            connection.exec_driver_sql(f"SET LOCAL {setting}")
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    frame = read_frame(connection, sql, schema)
    if parallel and connection.dialect.name == "postgresql":
        for setting in PARALLEL_SETTINGS:
            connection.exec_driver_sql(f"RESET {setting.split(' = ')[0]}")
    return frame
