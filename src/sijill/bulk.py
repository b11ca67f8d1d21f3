"""Set-based bulk writes: PostgreSQL COPY, SQLite executemany, both inside the caller's transaction."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Table
from sqlalchemy.orm import Session

COPY_BATCH_ROWS = 100_000


def bulk_insert(session: Session, table: Table, data: pa.Table) -> int:
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
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for batch in data.to_batches(COPY_BATCH_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(pa.Table.from_batches([batch]), buffer, options)
                copy.write(buffer.getvalue())
    else:
        placeholders = ", ".join("?" for _ in columns)
        column_list = ", ".join(f'"{c}"' for c in columns)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for batch in data.to_batches(COPY_BATCH_ROWS):
                rows = zip(*(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=True)
                cursor.executemany(
                    # Table and column names come from our own metadata, never from input.
                    f'INSERT INTO "{table.name}" ({column_list}) VALUES ({placeholders})',  # noqa: S608
                    rows,
                )
        finally:
            cursor.close()
    rows_written: int = data.num_rows
    return rows_written
