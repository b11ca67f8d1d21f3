"""IDCS numbers: 10 digits, the last a check digit behind a pluggable scheme.

The real IDCS structure is not public (DOMAIN.md), so Sijill issues opaque random digits with a
Verhoeff check digit by default; a deployment can plug in another scheme.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# Verhoeff tables: multiplication in the dihedral group D5, the position permutation, inverse.
_D = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ],
    dtype=np.int8,
)
# Position permutations: powers of Verhoeff's permutation (0 1 5 8 9 4 2 7)(3 6), built by
# composition rather than typed out, so the table cannot hold a transcription error.
_P1 = np.array([1, 5, 7, 6, 2, 8, 3, 0, 9, 4], dtype=np.int8)
_P = np.empty((8, 10), dtype=np.int8)
_P[0] = np.arange(10)
for _power in range(1, 8):
    _P[_power] = _P1[_P[_power - 1]]
_INV = np.array([0, 4, 3, 2, 1, 5, 6, 7, 8, 9], dtype=np.int8)


def verhoeff_check_digits(bodies: NDArray[np.int8]) -> NDArray[np.int8]:
    """Check digit for each row of a (n, k) digit matrix, computed for all rows at once."""
    n, k = bodies.shape
    state = np.zeros(n, dtype=np.int8)
    # Digits are read right to left; position 0 is reserved for the check digit itself.
    for position in range(k):
        digit = bodies[:, k - 1 - position]
        state = _D[state, _P[(position + 1) % 8, digit]]
    return _INV[state]


def verhoeff_valid(number: str) -> bool:
    if not number.isdigit():
        return False
    state = 0
    for position, char in enumerate(reversed(number)):
        state = int(_D[state, _P[position % 8, int(char)]])
    return state == 0


def random_idcs(rng: np.random.Generator, count: int) -> NDArray[np.str_]:
    """``count`` distinct-looking IDCS strings: 9 random digits (no leading 0) plus the check digit.

    Uniqueness against the register is enforced by the database; callers retry collisions.
    """
    body = rng.integers(0, 10, size=(count, 9), dtype=np.int8)
    body[:, 0] = rng.integers(1, 10, size=count, dtype=np.int8)
    digits = np.concatenate([body, verhoeff_check_digits(body)[:, None]], axis=1)
    as_chars = (digits + ord("0")).astype(np.uint8)
    # Reinterpret each row of 10 ASCII bytes as one fixed-width string, without a Python loop.
    return np.ascontiguousarray(as_chars).view("S10").ravel().astype("U10")
