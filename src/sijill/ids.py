"""Reserve primary keys for set-based inserts, safely beside ordinary inserts."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session


def reserve_ids(session: Session, table: Table, count: int, *, table_locked: bool = False) -> NDArray[np.int64]:
    """``count`` fresh ids for ``table``'s integer primary key ``id``.

    PostgreSQL: taken from the table's sequence, so concurrent single inserts never collide. When
    the caller holds an exclusive lock on the table (``table_locked``), nobody else can draw from
    its sequence, so the whole range is taken in one step instead of ``count`` calls.
    SQLite: the caller must already hold the write lock (it has written in this transaction), so
    max(id) cannot move under it.
    """
    if count == 0:
        return np.empty(0, dtype=np.int64)
    if session.get_bind().dialect.name == "postgresql" and table_locked:
        first = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id'))"), {"t": table.name}
        ).scalar_one()
        session.execute(
            text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :last)"), {"t": table.name, "last": first + count - 1}
        )
        return np.arange(first, first + count, dtype=np.int64)
    if session.get_bind().dialect.name == "postgresql":
        sequence = {"t": table.name, "n": count}
        # Without a concurrent writer the values drawn are one unbroken range: then only its ends
        # cross the wire, not a million numbers.
        low, high = session.execute(
            text("SELECT min(v), max(v) FROM (SELECT nextval(pg_get_serial_sequence(:t, 'id')) AS v "
                 "FROM generate_series(1, :n)) AS drawn"),
            sequence,
        ).one()  # fmt: skip
        if high - low + 1 == count:
            return np.arange(low, high + 1, dtype=np.int64)
        # Interleaved with other sessions' inserts: the drawn values are not one range, and those
        # above are already spent, so draw again and keep every value.
        rows = (
            session.execute(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"), sequence
            )
            .scalars()
            .all()
        )
        return np.asarray(rows, dtype=np.int64)
    start = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return np.arange(start + 1, start + 1 + count, dtype=np.int64)
