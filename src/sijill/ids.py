"""Reserve primary keys for set-based inserts, safely beside ordinary inserts."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session


def reserve_ids(session: Session, table: Table, count: int) -> NDArray[np.int64]:
    """``count`` fresh ids for ``table``'s integer primary key ``id``.

    PostgreSQL: taken from the table's sequence, so concurrent single inserts never collide.
    SQLite: the caller must already hold the write lock (it has written in this transaction), so
    max(id) cannot move under it.
    """
    if count == 0:
        return np.empty(0, dtype=np.int64)
    if session.get_bind().dialect.name == "postgresql":
        rows = (
            session.execute(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table.name, "n": count},
            )
            .scalars()
            .all()
        )
        return np.asarray(rows, dtype=np.int64)
    start = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return np.arange(start + 1, start + 1 + count, dtype=np.int64)
