from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sijill.linkage.similarity import jaro, jaro_winkler


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("martha", "marhta", 0.944), ("dixon", "dicksonx", 0.767), ("jellyfish", "smellyfish", 0.896)],
)
def test_known_jaro_values(a: str, b: str, expected: float) -> None:
    assert jaro(a, b) == pytest.approx(expected, abs=1e-3)


def test_known_jaro_winkler_values() -> None:
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.961, abs=1e-3)
    assert jaro_winkler("dwayne", "duane") == pytest.approx(0.84, abs=1e-3)


@given(st.text(max_size=12), st.text(max_size=12))
def test_bounded_symmetric_and_one_on_identity(a: str, b: str) -> None:
    score = jaro_winkler(a, b)
    assert 0.0 <= score <= 1.0
    assert jaro(a, b) == pytest.approx(jaro(b, a))
    if a:
        assert jaro_winkler(a, a) == 1.0
