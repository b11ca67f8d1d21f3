"""IDCS issuance: 10 digits, drawn from the operating system's cryptographic source, the last one a
check digit of the configured scheme; weak-looking numbers are never issued.

Uniqueness is the database's job: every issued number is first inserted into ``issued_idcs``
with ON CONFLICT DO NOTHING, and only the numbers this call actually inserted are handed out, so
any number of concurrent issuers can never hand out the same number and never fail on a collision.
"""

from __future__ import annotations

import os
import secrets
import threading
from datetime import UTC, datetime
from typing import cast

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sijill.bulk import bulk_insert_frame, fill_temporary_table
from sijill.bulk_mode import rebuilt_after
from sijill.db import begin_sqlite_write
from sijill.population.check_digits import SCHEMES, CheckDigitScheme
from sijill.population.models import IssuedIdcs

BODY_DIGITS = 9
# Runs this long of one repeated digit (00000) or of consecutive digits (12345, 98765) make a
# number look forged or mistyped; such numbers are skipped.
WEAK_RUN = 5
ISSUE_BATCH = 200_000
# Up to this many numbers (an online registration needs one) a plain multi-row INSERT is cheaper
# than a temporary table.
SMALL_ISSUE = 1_000


def _random_digits(rows: int, cols: int) -> NDArray[np.int8]:
    """Uniform digits from os.urandom: bytes >= 250 are dropped so that ``% 10`` has no bias."""
    needed = rows * cols
    digits = np.empty(0, dtype=np.uint8)
    while digits.size < needed:
        raw = np.frombuffer(os.urandom(int((needed - digits.size) * 1.1) + 16), dtype=np.uint8)
        digits = np.concatenate([digits, raw[raw < 250] % 10])
    return digits[:needed].reshape(rows, cols).astype(np.int8)


def weak_mask(numbers: NDArray[np.int8]) -> NDArray[np.bool_]:
    """True for rows (digit matrices) with a leading 0 or a long repeated or sequential run."""
    steps = np.diff(numbers.astype(np.int16), axis=1)
    weak: NDArray[np.bool_] = numbers[:, 0] == 0
    # A run of WEAK_RUN digits is WEAK_RUN - 1 equal consecutive steps: the steps at each start
    # position ANDed with the next ones (shifted column slices, cheaper than window views).
    run = WEAK_RUN - 1
    starts = steps.shape[1] - run + 1
    for step in (0, 1, -1):
        same = steps == step
        together = same[:, :starts].copy()
        for offset in range(1, run):
            together &= same[:, offset : offset + starts]
        weak |= together.any(axis=1)
    return weak


def is_weak(number: str) -> bool:
    digits = np.frombuffer(number.encode("ascii"), dtype=np.uint8).astype(np.int8) - ord("0")
    return bool(weak_mask(digits[None, :])[0])


def _draw_digits(count: int, scheme: CheckDigitScheme) -> NDArray[np.int8]:
    """``count`` strong candidate numbers as rows of digits: random body plus check digit."""
    chosen: list[NDArray[np.int8]] = []
    have = 0
    while have < count:
        body = _random_digits(int((count - have) * 1.05) + 8, BODY_DIGITS)
        full = np.concatenate([body, scheme.check_digits(body)[:, None]], axis=1)
        strong = full[~weak_mask(full)]
        chosen.append(strong)
        have += strong.shape[0]
    return np.concatenate(chosen)[:count]


_PLACES = 10 ** np.arange(BODY_DIGITS, -1, -1, dtype=np.int64)


def draw_values(count: int, scheme: CheckDigitScheme) -> NDArray[np.int64]:
    """``count`` strong candidate numbers as integers: exact, since a number never starts with 0,
    and an order of magnitude cheaper to sort and compare than text."""
    values: NDArray[np.int64] = _draw_digits(count, scheme).astype(np.int64) @ _PLACES
    return values


def draw_numbers(count: int, scheme: CheckDigitScheme) -> NDArray[np.str_]:
    """``count`` strong candidate numbers (not yet reserved), as text."""
    as_chars = (_draw_digits(count, scheme) + ord("0")).astype(np.uint8)
    # Each row of 10 ASCII bytes read as one fixed-width string, without a Python loop.
    return np.ascontiguousarray(as_chars).view("S10").ravel().astype("U10")


def issue(session: Session, count: int, *, issued_by: str, scheme_name: str = "verhoeff") -> list[str]:
    """Reserve ``count`` new numbers in the caller's transaction and return them.

    Candidates go to a temporary table in one bulk write (COPY on PostgreSQL); a single
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` then keeps exactly those nobody holds.
    """
    scheme = SCHEMES[scheme_name]
    if count <= SMALL_ISSUE:
        return _issue_few(session, count, issued_by=issued_by, scheme=scheme)
    issued: list[str] = []
    now = datetime.now(UTC)
    while len(issued) < count:
        wanted = min(count - len(issued), ISSUE_BATCH)
        _stage(session, np.unique(draw_numbers(wanted, scheme)))
        inserted = session.execute(
            text(
                "INSERT INTO issued_idcs (number, issued_at, issued_by) "
                "SELECT number, :at, :by FROM idcs_candidate WHERE true "
                "ON CONFLICT (number) DO NOTHING RETURNING number"
            ),
            {"at": now, "by": issued_by},
        ).scalars()
        issued.extend(inserted)
    # The numbers of one batch come back in ascending order, so within one import a lower number
    # means an earlier row. Shuffling them would hide that, at 10% of a first load's time on SQLite
    # (random inserts into the unique index of person.idcs); the order says no more than
    # person.created_at does.
    return issued


MIN_DRAW = 1024


def issue_for_load(session: Session, count: int, *, issued_by: str, scheme_name: str = "verhoeff") -> pl.Series:
    """``count`` new numbers for a first load (ascending), which holds the ledger alone until it
    commits.

    The candidates already issued are found through the ledger's primary key (none can be when
    the ledger is empty, a country's first load); the key is then set aside while the rest are
    written (``sijill.bulk_mode``) and built again, checking uniqueness, before the load goes on.
    The caller must already have set aside the foreign key of ``person.idcs`` (a load does, for
    ``person``)."""
    lock_ledger(session)
    scheme = SCHEMES[scheme_name]
    ledger_empty = not session.execute(text("SELECT 1 FROM issued_idcs LIMIT 1")).first()
    kept = np.empty(0, dtype=np.int64)
    while kept.size < count:
        wanted = count - kept.size
        # At least MIN_DRAW: when few numbers are still missing, tiny draws that all collide would
        # each cost a round trip (a test drawing from a small pool once kept a worker looping).
        candidates = _sorted_unique(draw_values(max(int(wanted * 1.001) + 16, MIN_DRAW), scheme))
        if kept.size:
            candidates = candidates[~np.isin(candidates, kept)]
        free = candidates if ledger_empty else _not_held(session, candidates)
        # Extra candidates (drawn to cover collisions) are dropped at random, not from the top.
        kept = np.concatenate([kept, np.random.default_rng().choice(free, size=min(wanted, free.size), replace=False)])
    kept.sort()  # see the note in ``issue`` on order
    numbers = pl.Series("number", kept).cast(pl.String)
    with rebuilt_after(session, ("issued_idcs",), primary_keys_of=("issued_idcs",)):
        ledger = pl.DataFrame({"number": numbers}).with_columns(
            pl.lit(datetime.now(UTC)).alias("issued_at"), pl.lit(issued_by).alias("issued_by")
        )
        bulk_insert_frame(session, "issued_idcs", ledger)
    return numbers


def _sorted_unique(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """``np.unique`` by sorting: numpy's hash-based unique took 0.25 s for a million integers."""
    ordered = np.sort(values)
    distinct: NDArray[np.int64] = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
    return distinct


def _not_held(session: Session, candidates: NDArray[np.int64]) -> NDArray[np.int64]:
    """The candidates (sorted, unique) that the ledger does not hold, found through its key."""
    _stage(session, pl.Series("number", candidates).cast(pl.String))
    held = session.execute(
        text(
            "SELECT c.number FROM idcs_candidate c WHERE EXISTS (SELECT 1 FROM issued_idcs i WHERE i.number = c.number)"
        )
    ).scalars()
    free: NDArray[np.int64] = np.setdiff1d(candidates, np.asarray([int(n) for n in held], dtype=np.int64), True)
    return free


def _stage(session: Session, candidates: NDArray[np.str_] | pl.Series) -> None:
    """Put the candidates in the ``idcs_candidate`` temporary table (one bulk write)."""
    fill_temporary_table(session, "idcs_candidate", "number VARCHAR(10)", pl.DataFrame({"number": candidates}))


def lock_ledger(session: Session) -> None:
    """Keep other sessions from issuing until the caller's transaction ends (they still read)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE issued_idcs IN EXCLUSIVE MODE"))
    else:
        begin_sqlite_write(session)  # one writer at a time on SQLite


_LEDGER = cast(Table, IssuedIdcs.__table__)
# Built once per dialect: an online registration runs it every time.
_INSERT_FREE = {
    name: insert(_LEDGER).on_conflict_do_nothing(index_elements=[_LEDGER.c.number]).returning(_LEDGER.c.number)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


# Candidates drawn ahead, per scheme, for the online issuer: drawing is vectorised, and a draw of
# one number cost as much as a draw of a thousand (about 0.3 ms of a registration's CPU). They are
# only candidates: the ledger's insert still decides which numbers are free, so a candidate drawn
# twice (by two processes) is simply not handed out twice.
_DRAWN_AHEAD = 1024
_drawn: dict[str, list[str]] = {}
_drawing = threading.Lock()


def _candidates(count: int, scheme: CheckDigitScheme) -> list[str]:
    """``count`` distinct candidate numbers, taken from those drawn ahead."""
    with _drawing:
        pool = _drawn.setdefault(scheme.name, [])
        if len(pool) < count:
            pool.extend(np.unique(draw_numbers(max(count, _DRAWN_AHEAD), scheme)).tolist())
            # Unique within a draw; shuffled so that ascending order does not leak between them.
            secrets.SystemRandom().shuffle(pool)
        taken = pool[-count:]
        del pool[-count:]
    return list(dict.fromkeys(taken))


def _issue_few(session: Session, count: int, *, issued_by: str, scheme: CheckDigitScheme) -> list[str]:
    statement = _INSERT_FREE[session.get_bind().dialect.name]
    issued: list[str] = []
    now = datetime.now(UTC)
    while len(issued) < count:
        rows = [
            {"number": number, "issued_at": now, "issued_by": issued_by}
            for number in _candidates(count - len(issued), scheme)
        ]
        issued.extend(session.connection().execute(statement, rows).scalars())
    return issued
