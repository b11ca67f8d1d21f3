"""IDCS check digits: Verhoeff catches every single-digit error and adjacent transposition."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sijill.population.idcs import random_idcs, verhoeff_check_digits, verhoeff_valid


def test_known_verhoeff_values() -> None:
    assert verhoeff_valid("2363")
    assert not verhoeff_valid("2364")
    body = np.array([[2, 3, 6]], dtype=np.int8)
    assert verhoeff_check_digits(body).tolist() == [3]


def test_issued_numbers_are_ten_digits_valid_and_never_start_with_zero() -> None:
    numbers = random_idcs(np.random.default_rng(7), 5000)
    assert all(len(n) == 10 and n.isdigit() and n[0] != "0" and verhoeff_valid(n) for n in numbers)


@given(
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=0, max_value=9),
    st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_is_detected(seed: int, position: int, shift: int) -> None:
    number = str(random_idcs(np.random.default_rng(seed), 1)[0])
    digit = (int(number[position]) + shift) % 10
    altered = number[:position] + str(digit) + number[position + 1 :]
    assert not verhoeff_valid(altered)


@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=8))
def test_any_adjacent_transposition_is_detected(seed: int, position: int) -> None:
    number = str(random_idcs(np.random.default_rng(seed), 1)[0])
    if number[position] == number[position + 1]:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    assert not verhoeff_valid(swapped)
