"""Large SQLite writes through a scratch file: the same rows as row by row, in the caller's
transaction, and no scratch file left behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Boolean, Column, Date, DateTime, Engine, Float, Integer, LargeBinary, MetaData, String, Table
from sqlalchemy import text as sql

from sijill import bulk
from sijill.db import make_sessionmaker, transaction
from sijill.sqlite_stage import MAX_STAGES

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

_METADATA = MetaData()
PROBES = [
    Table(
        name,
        _METADATA,
        Column("id", Integer, primary_key=True),
        Column("name", String(40)),
        Column("born", Date),
        Column("at", DateTime(timezone=True)),
        Column("flag", Boolean),
        Column("score", Float),
        Column("raw", LargeBinary),
    )
    for name in ("probe_rows", "probe_staged")
]


def _frame(rows: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": range(1, rows + 1),
            "name": [None if i % 7 == 0 else f"محمد {i} Élodie" for i in range(rows)],
            "born": [None if i % 5 == 0 else date(1950 + i % 70, 1 + i % 12, 1 + i % 28) for i in range(rows)],
            "at": [datetime(2026, 12, 7, 10, i % 60, i % 60, i, tzinfo=UTC) for i in range(rows)],
            "flag": [None if i % 3 == 0 else i % 2 == 0 for i in range(rows)],
            "score": [None if i % 4 == 0 else i / 3 for i in range(rows)],
            "raw": [None if i % 6 == 0 else bytes([i % 256, 0]) for i in range(rows)],
        }
    )


@pytest.fixture
def probes(engine: Engine) -> Iterator[Engine]:
    """The probe tables, dropped afterwards (the PostgreSQL test database is shared)."""
    _METADATA.create_all(engine)
    yield engine
    _METADATA.drop_all(engine)


def _stage_files(engine: Engine) -> list[Path]:
    folder = Path(str(engine.url.database)).parent
    return sorted(folder.glob(".sijill-stage-*"))


def _stored(engine: Engine, table: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        columns = "id, typeof(name), name, typeof(born), born, typeof(at), at, flag, score, hex(raw)"
        return [tuple(row) for row in connection.execute(sql(f"SELECT {columns} FROM {table} ORDER BY id"))]  # noqa: S608


def test_staged_rows_are_stored_exactly_as_rows_written_one_by_one(
    probes: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _frame(3_000).to_arrow()
    factory = make_sessionmaker(probes)
    monkeypatch.setattr(bulk, "STAGE_FROM_ROWS", 10**9)
    with transaction(factory) as session:
        bulk.bulk_insert(session, PROBES[0], data)
    monkeypatch.setattr(bulk, "STAGE_FROM_ROWS", 1)
    with transaction(factory) as session:
        bulk.bulk_insert(session, PROBES[1], data)
        # Attached while the transaction lasts; gone with it.
        attached = [row[1] for row in session.execute(sql("PRAGMA database_list"))]
        assert any(name.startswith("sijill_stage_") for name in attached)
    assert _stored(probes, "probe_staged") == _stored(probes, "probe_rows")
    with probes.connect() as connection:
        attached = [row[1] for row in connection.execute(sql("PRAGMA database_list"))]
        assert not [name for name in attached if name.startswith("sijill_stage_")]
    assert _stage_files(probes) == []


def test_a_rolled_back_transaction_writes_nothing_and_leaves_no_file(
    probes: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "STAGE_FROM_ROWS", 1)
    factory = make_sessionmaker(probes)
    with pytest.raises(RuntimeError, match="later step"), transaction(factory) as session:  # noqa: PT012
        bulk.bulk_insert(session, PROBES[1], _frame(500).to_arrow())
        assert session.execute(sql("SELECT count(*) FROM probe_staged")).scalar_one() == 500
        raise RuntimeError("a later step failed")
    assert _stored(probes, "probe_staged") == []
    assert _stage_files(probes) == []


def test_more_large_writes_than_attachable_files_all_land(probes: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite attaches ten databases at most: past MAX_STAGES the writes go row by row."""
    monkeypatch.setattr(bulk, "STAGE_FROM_ROWS", 1)
    factory = make_sessionmaker(probes)
    parts = MAX_STAGES + 3
    data = _frame(parts * 3)
    with transaction(factory) as session:
        for part in range(parts):
            bulk.bulk_insert(session, PROBES[1], data.slice(part * 3, 3).to_arrow())
    assert [row[0] for row in _stored(probes, "probe_staged")] == list(range(1, parts * 3 + 1))
    assert _stage_files(probes) == []
