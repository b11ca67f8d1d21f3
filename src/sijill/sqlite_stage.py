"""Large inserts into SQLite without a Python object per value: a scratch file written by ADBC.

Python's sqlite3 binds every value of every row from a Python object: 1M persons of 30 columns
took 15 s, of which SQLite's own work is a fraction. The ADBC SQLite driver writes an Arrow table
in C. It has a connection of its own, which cannot join the caller's transaction, so it fills a
scratch database file; the caller's connection attaches that file and copies the rows with one
``INSERT ... SELECT`` inside its transaction, so the write commits or rolls back with the rest.

SQLite refuses to detach a database that a still-open transaction has read, so each scratch file
stays attached until its connection goes back to the pool, where ``release_stages`` detaches and
deletes it (and deletes it too if the connection is closed instead). A connection attaches at most
``MAX_STAGES`` files at once (SQLite allows ten attached databases); past that, the caller writes
row by row as before.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import polars as pl
import pyarrow as pa

_log = logging.getLogger(__name__)
MAX_STAGES = 8
_STAGES = "sijill_stages"  # connection record info: [(schema, path), ...]
_COUNTER = itertools.count(1)


def can_stage(record_info: dict[str, Any]) -> bool:
    return len(record_info.get(_STAGES, [])) < MAX_STAGES


def sqlite_text_values(data: pa.Table) -> pa.Table:
    """Dates and times as the text SQLAlchemy writes and reads on SQLite (``2026-12-07`` and
    ``2026-12-07 10:00:00.000000``); other types go as they are."""
    frame = cast(pl.DataFrame, pl.from_arrow(data))
    if not any(isinstance(dtype, pl.Date | pl.Datetime) for dtype in frame.schema.values()):
        return data
    return frame.with_columns(
        pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S%.6f"), pl.col(pl.Date).dt.strftime("%Y-%m-%d")
    ).to_arrow()


def insert_through_stage(
    raw: Any, record_info: dict[str, Any], table: str, columns: Sequence[str], data: pa.Table
) -> None:
    """Copy ``data`` into ``table`` through a scratch file, in ``raw``'s current transaction.

    ``raw`` is the sqlite3 connection, ``record_info`` its pool record's ``info``; table and
    column names come from our own metadata, never from input."""
    rows = stage_file(raw, record_info, data)
    listed = ", ".join(f'"{c}"' for c in columns)
    raw.execute(f'INSERT INTO "{table}" ({listed}) SELECT {listed} FROM {rows}')  # noqa: S608


def stage_file(raw: Any, record_info: dict[str, Any], data: pa.Table) -> str:
    """Write ``data`` to a scratch file attached to ``raw``; returns the SQL name of its rows."""
    import adbc_driver_sqlite.dbapi as adbc_sqlite  # only when a large write needs it

    main_file = next((row[2] for row in raw.execute("PRAGMA database_list") if row[1] == "main"), "")
    folder = Path(main_file).parent if main_file else Path(tempfile.gettempdir())
    handle, name = tempfile.mkstemp(prefix=".sijill-stage-", suffix=".db", dir=folder)
    os.close(handle)
    path = Path(name)
    schema = f"sijill_stage_{next(_COUNTER)}"
    try:
        with adbc_sqlite.connect(str(path), autocommit=True) as stage, stage.cursor() as cursor:
            # A scratch copy: nothing to recover after a crash, so no journal and no sync.
            for statement in ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "BEGIN"):
                cursor.execute(statement)
                cursor.fetchall()
            cursor.adbc_ingest("rows", sqlite_text_values(data), mode="create")
            cursor.execute("COMMIT")
        raw.execute(f"ATTACH DATABASE ? AS {schema}", (str(path),))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    record_info.setdefault(_STAGES, []).append((schema, str(path)))
    return f'{schema}."rows"'


def release_stages(dbapi_connection: Any, record: Any) -> None:
    """Pool ``checkin``: detach and delete the connection's scratch files (its transaction is over).

    One that cannot be detached stays counted, and is tried again at the next checkin."""
    kept = []
    for schema, path in record.info.pop(_STAGES, []):
        try:
            dbapi_connection.execute(f"DETACH DATABASE {schema}")
        except sqlite3.Error as exc:
            _log.warning("scratch database %s not detached yet: %s", schema, exc)
            kept.append((schema, path))
            continue
        Path(path).unlink(missing_ok=True)
    if kept:
        record.info[_STAGES] = kept


def forget_stages(_dbapi_connection: Any, record: Any) -> None:
    """Pool ``close``: the files detach with the connection; delete them."""
    for _schema, path in record.info.pop(_STAGES, []):
        Path(path).unlink(missing_ok=True)
