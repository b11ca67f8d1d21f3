"""Check-digit schemes for identifiers, behind one small interface.

The real IDCS structure is not public (DOMAIN.md), so the scheme is pluggable: Verhoeff by
default (it catches every single-digit error and every swap of adjacent digits), Luhn as the
common alternative. Each scheme works on a whole array of numbers at once.
"""

from __future__ import annotations

from typing import Protocol

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


class CheckDigitScheme(Protocol):
    name: str

    def check_digits(self, bodies: NDArray[np.int8]) -> NDArray[np.int8]:
        """The check digit of each row of an (n, k) digit matrix."""
        ...

    def is_valid(self, number: str) -> bool: ...


class Verhoeff:
    name = "verhoeff"

    def check_digits(self, bodies: NDArray[np.int8]) -> NDArray[np.int8]:
        n, k = bodies.shape
        state = np.zeros(n, dtype=np.int8)
        # Digits are read right to left; position 0 is reserved for the check digit itself.
        for position in range(k):
            digit = bodies[:, k - 1 - position]
            state = _D[state, _P[(position + 1) % 8, digit]]
        return _INV[state]

    def is_valid(self, number: str) -> bool:
        if not number.isdigit():
            return False
        state = 0
        for position, char in enumerate(reversed(number)):
            state = int(_D[state, _P[position % 8, int(char)]])
        return state == 0


_LUHN_DOUBLE = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.int8)


class Luhn:
    name = "luhn"

    def check_digits(self, bodies: NDArray[np.int8]) -> NDArray[np.int8]:
        k = bodies.shape[1]
        # The rightmost body digit is doubled once the check digit is appended after it.
        doubled = (k - 1 - np.arange(k)) % 2 == 0
        contributions = np.where(doubled, _LUHN_DOUBLE[bodies], bodies).astype(np.int32)
        digits: NDArray[np.int8] = ((10 - contributions.sum(axis=1) % 10) % 10).astype(np.int8)
        return digits

    def is_valid(self, number: str) -> bool:
        if not number.isdigit() or len(number) < 2:
            return False
        body = np.frombuffer(number[:-1].encode("ascii"), dtype=np.uint8).astype(np.int8) - ord("0")
        return int(self.check_digits(body[None, :])[0]) == int(number[-1])


SCHEMES: dict[str, CheckDigitScheme] = {"verhoeff": Verhoeff(), "luhn": Luhn()}


def verhoeff_check_digits(bodies: NDArray[np.int8]) -> NDArray[np.int8]:
    return SCHEMES["verhoeff"].check_digits(bodies)


def verhoeff_valid(number: str) -> bool:
    return SCHEMES["verhoeff"].is_valid(number)
