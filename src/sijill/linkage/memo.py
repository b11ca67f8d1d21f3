"""Name functions remembered per spelling.

A register repeats its names: a few thousand spellings cover most of a national population, so
normalising or keying each spelling once per process spares the duplicate check most of its
string work. The functions wrapped are pure (text in, text out).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

NAME_CACHE_SIZE = 65_536


def per_spelling(function: Callable[[str], str]) -> Callable[[str], str]:
    return lru_cache(maxsize=NAME_CACHE_SIZE)(function)
