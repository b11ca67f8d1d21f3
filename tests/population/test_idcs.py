"""IDCS: check digits catch typing errors; issuance never repeats a number, even under concurrency."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sijill.bulk_mode import rebuilt_after
from sijill.db import make_engine, make_sessionmaker, transaction
from sijill.population import idcs as idcs_module
from sijill.population.check_digits import SCHEMES, verhoeff_check_digits, verhoeff_valid
from sijill.population.idcs import draw_numbers, is_weak, issue, issue_for_load, weak_mask
from sijill.population.models import IssuedIdcs

STRONG = st.integers(min_value=0, max_value=10**6).map(lambda _: str(draw_numbers(1, SCHEMES["verhoeff"])[0]))


def test_known_verhoeff_values() -> None:
    assert verhoeff_valid("2363")
    assert not verhoeff_valid("2364")
    assert verhoeff_check_digits(np.array([[2, 3, 6]], dtype=np.int8)).tolist() == [3]


def test_known_luhn_values() -> None:
    luhn = SCHEMES["luhn"]
    assert luhn.is_valid("79927398713")
    assert not luhn.is_valid("79927398710")


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_drawn_numbers_are_ten_digits_valid_and_strong(scheme: str) -> None:
    numbers = draw_numbers(20_000, SCHEMES[scheme])
    assert numbers.shape == (20_000,)
    assert all(len(n) == 10 and n.isdigit() and n[0] != "0" for n in numbers)
    assert all(SCHEMES[scheme].is_valid(str(n)) for n in numbers)
    assert not any(is_weak(str(n)) for n in numbers)


@pytest.mark.parametrize(
    ("number", "weak"),
    [
        ("0123958471", True),  # leading zero
        ("5555519283", True),  # five repeated digits
        ("9134567201", True),  # 34567 ascending
        ("9187654201", True),  # 87654 descending
        ("5555819283", False),  # four repeated only
        ("9134587201", False),  # 345 then 8: run of three
        ("7294015836", False),
    ],
)
def test_weak_numbers(number: str, weak: bool) -> None:
    assert is_weak(number) is weak


@given(STRONG, st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_detected(number: str, position: int, shift: int) -> None:
    digit = (int(number[position]) + shift) % 10
    assert not verhoeff_valid(number[:position] + str(digit) + number[position + 1 :])


@given(STRONG, st.integers(min_value=0, max_value=8))
def test_any_adjacent_transposition_is_detected(number: str, position: int) -> None:
    if number[position] == number[position + 1]:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    assert not verhoeff_valid(swapped)


def test_a_first_load_into_an_empty_ledger_gets_distinct_strong_numbers(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session, rebuilt_after(session, ("person",)):
        loaded = issue_for_load(session, 50_000, issued_by="load").to_list()
    assert len(set(loaded)) == 50_000 and loaded == sorted(loaded)
    assert all(len(n) == 10 and verhoeff_valid(n) and not is_weak(n) for n in loaded)
    with session_factory() as session:
        assert session.execute(select(func.count()).select_from(IssuedIdcs)).scalar_one() == 50_000


@given(st.lists(st.integers(min_value=0, max_value=9), min_size=10, max_size=10))
def test_weak_mask_finds_exactly_the_runs_a_scan_finds(digits: list[int]) -> None:
    """The vectorised rule against a plain reading of it: a leading 0, or WEAK_RUN digits in a row
    that repeat or count up or down by one."""
    steps = [b - a for a, b in itertools.pairwise(digits)]
    run = idcs_module.WEAK_RUN - 1
    expected = digits[0] == 0 or any(
        all(step == direction for step in steps[start : start + run])
        for direction in (0, 1, -1)
        for start in range(len(steps) - run + 1)
    )
    assert bool(weak_mask(np.array([digits], dtype=np.int8))[0]) == expected


def test_weak_mask_is_vectorised_over_rows() -> None:
    rows = np.array([[1, 2, 3, 4, 5, 9, 9, 1, 0, 2], [7, 2, 9, 4, 0, 1, 5, 8, 3, 6]], dtype=np.int8)
    assert weak_mask(rows).tolist() == [True, False]


def test_issue_reserves_distinct_numbers(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as session:
        first = issue(session, 25_000, issued_by="test")
    with transaction(session_factory) as session:
        second = issue(session, 5_000, issued_by="test")
    assert len(set(first) | set(second)) == 30_000
    with session_factory() as session:
        assert session.execute(select(func.count()).select_from(IssuedIdcs)).scalar_one() == 30_000


def test_numbers_issued_one_at_a_time_are_distinct_strong_and_not_in_order(
    session_factory: sessionmaker[Session],
) -> None:
    """The online issuer hands out candidates drawn ahead in bulk: they stay valid, strong and
    distinct, and their order says nothing about when they were issued."""
    numbers = []
    for _ in range(300):
        with transaction(session_factory) as session:
            numbers += issue(session, 1, issued_by="desk")
    assert len(set(numbers)) == 300
    assert all(verhoeff_valid(n) and not is_weak(n) for n in numbers)
    ascending = sum(a < b for a, b in itertools.pairwise(numbers))
    assert 100 < ascending < 200  # about half, as for any random order


def test_rolled_back_issue_leaves_no_reservation(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), transaction(session_factory) as session:  # noqa: PT012
        issue(session, 10, issued_by="test")
        raise RuntimeError("registration failed later")
    with session_factory() as session:
        assert session.execute(select(func.count()).select_from(IssuedIdcs)).scalar_one() == 0


@pytest.fixture
def tiny_pool(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Force collisions: every draw comes from the same 300 numbers."""
    pool = [str(n) for n in draw_numbers(300, SCHEMES["verhoeff"])]
    rng = np.random.default_rng(3)

    def from_pool(count: int, _scheme: object) -> NDArray[np.str_]:
        return np.array(rng.choice(pool, size=count), dtype="U10")

    monkeypatch.setattr(idcs_module, "draw_numbers", from_pool)
    monkeypatch.setattr(idcs_module, "_drawn", {})  # nothing drawn ahead before the pool was set
    return pool


def test_collisions_are_retried_not_failed(session_factory: sessionmaker[Session], tiny_pool: list[str]) -> None:
    with transaction(session_factory) as session:
        numbers = issue(session, 200, issued_by="test")
    with transaction(session_factory) as session:
        numbers += issue(session, 100, issued_by="test")
    assert sorted(numbers) == sorted(tiny_pool)


def test_a_first_load_gets_only_numbers_nobody_holds(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn from a pool of 3,000 of which 2,000 are already issued: the load gets exactly the other
    1,000, and the ledger's primary key is back afterwards (a second copy of a number is refused)."""
    pool = [str(n) for n in draw_numbers(3_000, SCHEMES["verhoeff"])]
    rng = np.random.default_rng(5)
    monkeypatch.setattr(
        idcs_module, "draw_numbers", lambda count, _scheme: np.array(rng.choice(pool, size=count), dtype="U10")
    )
    monkeypatch.setattr(
        idcs_module, "draw_values", lambda count, _scheme: rng.choice(np.array(pool, dtype=np.int64), size=count)
    )
    with transaction(session_factory) as session:
        first = issue(session, 2_000, issued_by="test")
    with transaction(session_factory) as session, rebuilt_after(session, ("person",)):
        loaded = issue_for_load(session, 1_000, issued_by="load").to_list()
    assert loaded == sorted(loaded)
    assert sorted(first + loaded) == sorted(pool)
    with pytest.raises(IntegrityError), transaction(session_factory) as session:
        session.add(IssuedIdcs(number=loaded[0], issued_at=datetime.now(UTC), issued_by="again"))


def _issue_in_worker(args: tuple[str, int, int]) -> list[str]:
    url, batches, per_batch = args
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    issued: list[str] = []
    try:
        for _ in range(batches):
            with transaction(factory) as session:
                issued += issue(session, per_batch, issued_by="worker")
    finally:
        engine.dispose()
    return issued


@pytest.mark.slow
def test_eight_parallel_workers_issue_100000_numbers_without_duplicate_or_error(
    engine: Engine, db_url: str, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the concurrency guarantee is tested on PostgreSQL")
    engine.dispose()
    workers, batches, per_batch = 8, 5, 2_500
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        results = pool.map(_issue_in_worker, [(db_url, batches, per_batch)] * workers)
    numbers = [n for result in results for n in result]
    assert len(numbers) == workers * batches * per_batch == 100_000
    assert len(set(numbers)) == len(numbers)
    assert all(verhoeff_valid(n) for n in numbers)
    with make_sessionmaker(engine)() as session:
        assert session.execute(select(func.count()).select_from(IssuedIdcs)).scalar_one() == 100_000


def test_threads_issuing_one_number_at_a_time_share_the_drawn_ahead_numbers_safely(
    session_factory: sessionmaker[Session], backend: str
) -> None:
    """The online issuer's numbers drawn ahead are shared by a server process's request threads:
    eight threads, each issuing one number per transaction, never get the same number."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers; the concurrency guarantee is tested on PostgreSQL")
    issued: list[str] = []
    recording = threading.Lock()

    def one_desk() -> None:
        for _ in range(60):
            with transaction(session_factory) as session:
                numbers = issue(session, 1, issued_by="desk")
            with recording:
                issued.extend(numbers)

    desks = [threading.Thread(target=one_desk) for _ in range(8)]
    for desk in desks:
        desk.start()
    for desk in desks:
        desk.join()
    assert len(issued) == 480 and len(set(issued)) == 480
    with session_factory() as session:
        assert session.execute(select(func.count()).select_from(IssuedIdcs)).scalar_one() == 480
