"""Set-based bulk writes: PostgreSQL COPY, SQLite executemany, both inside the caller's transaction."""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Table, column, text
from sqlalchemy import table as table_clause
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from sijill.db import Base
from sijill.sqlite_stage import can_stage, insert_through_stage, sqlite_text_values, stage_file

COPY_BATCH_ROWS = 100_000
# From this many rows an SQLite write goes through a scratch file written by ADBC (sqlite_stage):
# below it, the file costs more than binding the rows from Python.
STAGE_FROM_ROWS = 20_000


def bulk_insert(session: Session, table: Table | TableClause, data: pa.Table) -> int:
    """Insert every row of ``data`` (columns named as the table's) into ``table``."""
    columns = [name for name in data.column_names if name in table.c]
    data = data.select(columns)
    if data.num_rows == 0:
        return 0
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw: Any = connection.connection.driver_connection
        column_list = ", ".join(f'"{c}"' for c in columns)
        # Arrow writes the CSV in C; quoting every non-null value keeps NULL (unquoted empty)
        # apart from the empty string, which is what COPY's CSV format expects.
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        sql = f'COPY "{table.name}" ({column_list}) FROM STDIN (FORMAT csv)'  # names from the table
        # Arrow formats zoned timestamps slowly (2 s a million); polars writes the same ISO text.
        frame = cast(pl.DataFrame, pl.from_arrow(data))
        zoned = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime) and dtype.time_zone]
        binary = [name for name, dtype in frame.schema.items() if dtype == pl.Binary]
        if zoned or binary:
            data = frame.with_columns(
                pl.col(zoned).dt.strftime("%Y-%m-%d %H:%M:%S%.6f%:z"),
                # bytea's text form.
                *(pl.concat_str(pl.lit("\\x"), pl.col(name).bin.encode("hex")).alias(name) for name in binary),
            ).to_arrow()
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for batch in data.to_batches(COPY_BATCH_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(pa.Table.from_batches([batch]), buffer, options)
                copy.write(buffer.getvalue())
    else:
        pooled = connection.connection
        raw_sqlite: Any = pooled.driver_connection
        if _through_scratch_file(pooled, data):
            insert_through_stage(raw_sqlite, pooled.info, table.name, columns, data)
        else:
            _insert_rows(raw_sqlite, table.name, columns, data)
    rows_written: int = data.num_rows
    return rows_written


def _through_scratch_file(pooled: Any, data: pa.Table) -> bool:
    """Whether an SQLite write goes through a scratch file: large enough, and a file can still be
    attached to this connection."""
    return data.num_rows >= STAGE_FROM_ROWS and can_stage(pooled.info)


@dataclass(frozen=True, slots=True)
class PreparedInsert:
    """Rows made ready to insert before it is known which of them to leave out."""

    table: Table
    columns: tuple[str, ...]
    data: pa.Table | None  # still to write (PostgreSQL, small writes)
    scratch: str | None  # SQLite: the scratch file's rows, already written (``data`` then freed)


def prepare_insert(session: Session, table: Table, data: pa.Table) -> PreparedInsert:
    """The part of ``bulk_insert`` that needs no decision yet, done now: on SQLite the scratch file
    is written (in C, so the caller's other threads go on computing meanwhile); PostgreSQL's COPY
    has no such part."""
    columns = tuple(name for name in data.column_names if name in table.c)
    data = data.select(list(columns))
    connection = session.connection()
    pooled = connection.connection
    if connection.dialect.name == "postgresql" or not _through_scratch_file(pooled, data):
        return PreparedInsert(table, columns, data, None)
    return PreparedInsert(table, columns, None, stage_file(pooled.driver_connection, pooled.info, data))


def complete_insert(session: Session, prepared: PreparedInsert, *, leave_out: pl.Series) -> int:
    """Insert the prepared rows but those whose ``id`` is in ``leave_out``; returns how many."""
    if prepared.scratch is None:
        assert prepared.data is not None  # kept until written when there is no scratch file
        frame = cast(pl.DataFrame, pl.from_arrow(prepared.data))
        return bulk_insert(session, prepared.table, frame.filter(~pl.col("id").is_in(leave_out.implode())).to_arrow())
    fill_temporary_table(session, "prepared_left_out", "id BIGINT", leave_out.to_frame("id"))
    listed = ", ".join(f'"{c}"' for c in prepared.columns)
    written = session.execute(
        text(
            f'INSERT INTO "{prepared.table.name}" ({listed}) SELECT {listed} FROM {prepared.scratch} '  # noqa: S608 (our names)
            "WHERE id NOT IN (SELECT id FROM prepared_left_out)"
        )
    )
    count: int = written.rowcount  # type: ignore[attr-defined]
    return count


def _insert_rows(raw: Any, table_name: str, columns: Sequence[str], data: pa.Table) -> None:
    """Row by row through sqlite3's executemany: small writes, or past the attached-file limit."""
    placeholders = ", ".join("?" for _ in columns)
    column_list = ", ".join(f'"{c}"' for c in columns)
    cursor = raw.cursor()
    try:
        with paused_collector():
            for start in range(0, data.num_rows, COPY_BATCH_ROWS):
                rows = _sqlite_rows(data.slice(start, COPY_BATCH_ROWS))
                cursor.executemany(
                    # Table and column names come from our own metadata, never from input.
                    f'INSERT INTO "{table_name}" ({column_list}) VALUES ({placeholders})',  # noqa: S608
                    rows,
                )
    finally:
        cursor.close()


@contextmanager
def paused_collector() -> Iterator[None]:
    """No cyclic garbage collection while a batch builds and writes hundreds of thousands of
    tuples: each pass would walk them all, and they hold no cycles (reference counting frees them).
    Measured: a first load of 1M rows on SQLite 36-40 s with the collector, 34 s without."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sqlite_rows(data: pa.Table) -> list[tuple[Any, ...]]:
    """Rows as Python tuples, with dates and times already written in SQLAlchemy's SQLite text
    format (what the ORM writes and reads back), which also spares sqlite3's slow adapters."""
    frame = cast(pl.DataFrame, pl.from_arrow(sqlite_text_values(data)))
    return frame.rows()


def widen_sqlite_cache(session: Session, mebibytes: int = 1024) -> None:
    """Let a large write keep the indexes it updates in memory (SQLite's default cache is 2 MiB,
    so a million inserts in random key order re-read the same pages from disk); a no-op on
    PostgreSQL. The cache grows only as pages are used."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size = -{int(mebibytes) * 1024}"))


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, typed for ``bulk_insert``."""
    return cast(Table, model.__table__)


def bulk_insert_frame(session: Session, table_name: str, frame: pl.DataFrame) -> int:
    """``bulk_insert`` into a table known by name only (e.g. a temporary table)."""
    clause = table_clause(table_name, *(column(name) for name in frame.columns))
    return bulk_insert(session, clause, frame.to_arrow())


def fill_temporary_table(session: Session, name: str, columns: str, frame: pl.DataFrame) -> None:
    """``frame`` as the only rows of the session's temporary table ``name`` (``columns``: its SQL
    column definitions), created on first use: sets of keys a statement joins or excludes.
    Name and columns are our own constants, never input."""
    session.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns})"))
    session.execute(text(f"DELETE FROM {name}"))  # noqa: S608
    bulk_insert_frame(session, name, frame)


def record_stamp(username: str, now: datetime) -> list[pl.Expr]:
    """The first version's bookkeeping columns of rows written in bulk: version 1, created = updated."""
    return [
        pl.lit(1).alias("version"),
        pl.lit(username).alias("created_by"),
        pl.lit(now).alias("created_at"),
        pl.lit(username).alias("updated_by"),
        pl.lit(now).alias("updated_at"),
    ]


def read_frame(connection: Connection, sql: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of a query as a typed frame: COPY ... TO STDOUT on PostgreSQL, a cursor on SQLite.

    ``sql`` is built from our own metadata and rule files, never from input; its columns come in
    the order of ``schema``.
    """
    if connection.dialect.name == "postgresql":
        raw: Any = connection.connection.driver_connection
        buffer = io.BytesIO()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        # Booleans come back as t/f: read them as text and convert.
        text_schema = {name: (pl.String if dtype == pl.Boolean else dtype) for name, dtype in schema.items()}
        frame = pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=text_schema)
        booleans = [name for name, dtype in schema.items() if dtype == pl.Boolean]
        return frame.with_columns(pl.col(booleans).replace_strict({"t": True, "f": False}, return_dtype=pl.Boolean))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with paused_collector():
            rows = cursor.execute(sql).fetchall()
    finally:
        cursor.close()
    # SQLite hands dates back as the ISO text they are stored as.
    dates = [name for name, dtype in schema.items() if dtype == pl.Date]
    as_text = {name: (pl.String() if name in dates else dtype) for name, dtype in schema.items()}
    frame = pl.DataFrame(rows, schema=as_text, orient="row")
    return frame.with_columns(pl.col(dates).str.slice(0, 10).str.to_date("%Y-%m-%d")) if dates else frame


_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def read_fixed_rows(connection: Connection, sql: str, fields: Sequence[tuple[str, str]]) -> np.ndarray[Any, Any]:
    """The rows of a PostgreSQL query whose every value has a fixed width (integers, booleans,
    ``bytea`` of one length), through a binary COPY read straight into a numpy record array:
    no text to format on the server and none to parse here.

    ``fields`` gives each column's name and numpy type in COPY's wire form (big-endian integers,
    ``"?"`` for a boolean, ``"V<n>"`` for n raw bytes). A NULL or a value of another width is
    refused rather than misread.
    """
    raw: Any = connection.connection.driver_connection
    buffer = io.BytesIO()
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
        for block in copy:
            buffer.write(block)
    data = buffer.getbuffer()
    if bytes(data[:11]) != _COPY_SIGNATURE:
        raise ValueError("not a PostgreSQL binary COPY stream")
    start = 19 + int.from_bytes(data[15:19], "big")
    record = np.dtype(
        [(":fields", ">i2")] + [part for name, kind in fields for part in ((f"{name}:length", ">i4"), (name, kind))]
    )
    body = data[start : len(data) - 2]  # the stream ends with a count of -1
    if len(body) % record.itemsize:
        raise ValueError("a row of the COPY stream is not of the expected width")
    rows = np.frombuffer(body, dtype=record)
    layout_holds = bool(np.all(rows[":fields"] == len(fields))) and all(
        bool(np.all(rows[f"{name}:length"] == np.dtype(kind).itemsize)) for name, kind in fields
    )
    if not layout_holds:
        raise ValueError("a value of the COPY stream is NULL or not of the expected width")
    return rows


def identifier_literal(value: str) -> str:
    """A rule-file identifier (model ref, variable name, region code) as an SQL string literal, for
    COPY statements, which take no parameters. Anything but plain identifier characters is refused."""
    if not re.fullmatch(r"[\w@.\-]+", value):
        raise ValueError(f"not an identifier: {value!r}")
    return f"'{value}'"
