"""Rows prepared before it is known which to leave out, then inserted but those: on both backends,
through SQLite's scratch file or not, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest
from sqlalchemy import Column, Date, Engine, Integer, MetaData, String, Table, select

from sijill import bulk
from sijill.db import make_sessionmaker, transaction

_METADATA = MetaData()
PROBE = Table(
    "prepared_probe",
    _METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("born", Date),
)


@pytest.fixture
def probe(engine: Engine) -> Iterator[Engine]:
    """The probe tables, dropped afterwards (the PostgreSQL test database is shared)."""
    _METADATA.create_all(engine)
    yield engine
    _METADATA.drop_all(engine)


@pytest.mark.parametrize("through_scratch_file", [True, False])
def test_prepared_rows_are_inserted_but_those_left_out(
    probe: Engine, monkeypatch: pytest.MonkeyPatch, through_scratch_file: bool
) -> None:
    monkeypatch.setattr(bulk, "STAGE_FROM_ROWS", 1 if through_scratch_file else 10**9)
    frame = pl.DataFrame({"id": range(1, 501), "name": [f"n{i}" for i in range(1, 501)]}).with_columns(
        pl.date(1980, 1, 1).dt.offset_by(pl.format("{}d", pl.col("id"))).alias("born")
    )
    factory = make_sessionmaker(probe)
    with transaction(factory) as session:
        prepared = bulk.prepare_insert(session, PROBE, frame.to_arrow())
        written = bulk.complete_insert(session, prepared, leave_out=pl.Series([2, 250, 500, 9999]))
    assert written == 497
    with probe.connect() as connection:
        stored = connection.execute(select(PROBE).order_by(PROBE.c.id)).all()
    assert [row.id for row in stored] == [i for i in range(1, 501) if i not in (2, 250, 500)]
    assert stored[0].name == "n1" and stored[0].born.isoformat() == "1980-01-02"


def test_a_rolled_back_transaction_inserts_none_of_the_prepared_rows(probe: Engine) -> None:
    factory = make_sessionmaker(probe)
    frame = pl.DataFrame({"id": range(1, 30_001), "name": "x"})
    with pytest.raises(RuntimeError, match="check failed"), transaction(factory) as session:  # noqa: PT012
        prepared = bulk.prepare_insert(session, PROBE, frame.to_arrow())
        bulk.complete_insert(session, prepared, leave_out=pl.Series([], dtype=pl.Int64))
        raise RuntimeError("the check failed")
    with probe.connect() as connection:
        assert connection.execute(select(PROBE)).all() == []
