"""Nationality codes: ISO 3166-1 alpha-3, with names in French and Arabic (``data/nationalities.csv``).

The list is our own file rather than a library (pycountry is LGPL). ESH (Western Sahara) is left
out on purpose: it is not a nationality in the Moroccan register, whose territory includes it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Nationality:
    code: str
    name_fr: str
    name_ar: str


@cache
def nationalities() -> Mapping[str, Nationality]:
    """Every known code, read once per process."""
    source = resources.files("sijill.population").joinpath("data", "nationalities.csv")
    reader = csv.DictReader(io.StringIO(source.read_text(encoding="utf-8"), newline=""))
    rows = [Nationality(r["code"], r["name_fr"], r["name_ar"]) for r in reader]
    return {row.code: row for row in rows}


def is_nationality(code: str | None) -> bool:
    return code is not None and code in nationalities()
