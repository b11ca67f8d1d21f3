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


def select_frame(
    session: Session, statement: Select[*tuple[Any, ...]], schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """The rows of ``statement`` (columns in the order of ``schema``) inside the session's transaction."""
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    return read_frame(connection, sql, schema)
