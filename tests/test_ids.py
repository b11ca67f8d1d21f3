"""Primary keys reserved for set-based inserts never collide with the table's own sequence."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from sijill.bulk import table_of
from sijill.ids import reserve_ids
from sijill.population.models import Registration


@pytest.mark.parametrize("table_locked", [False, True])
def test_reserved_ids_are_fresh_and_the_sequence_moves_past_them(
    session: Session, backend: str, table_locked: bool
) -> None:
    table = table_of(Registration)
    first = reserve_ids(session, table, 1_000, table_locked=table_locked)
    assert len(set(first.tolist())) == 1_000 and first.min() >= 1
    if backend == "postgresql":
        following = session.execute(text("SELECT nextval(pg_get_serial_sequence('registration', 'id'))")).scalar_one()
        assert following > first.max()


def test_ids_drawn_between_other_sessions_draws_are_all_kept(session: Session, backend: str) -> None:
    """When the sequence does not hand out one unbroken range (here: it counts by 2, as it does
    when other sessions draw at the same time), every value drawn is used, none invented."""
    if backend != "postgresql":
        pytest.skip("SQLite has no sequences: ids come from max(id) under the write lock")
    session.execute(text("ALTER SEQUENCE registration_id_seq INCREMENT BY 2"))
    ids = reserve_ids(session, table_of(Registration), 50).tolist()
    assert len(set(ids)) == 50
    assert all((b - a) == 2 for a, b in itertools.pairwise(ids))
    session.rollback()
