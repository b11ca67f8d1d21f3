"""The regions and prefectures/provinces shipped inside the package.

The list is Sijill's own copy of the 2015 regionalisation (12 regions, 75 prefectures and
provinces) so that a deployment never depends on files outside the installed package.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class ReferenceUnit:
    level: str  # "region" or "province"
    code: str
    parent_code: str | None
    kind: str  # region, prefecture, province
    name_fr: str
    name_ar: str


@cache
def reference_units() -> tuple[ReferenceUnit, ...]:
    """Regions first, then provinces, in file order."""
    text = resources.files("sijill.territory").joinpath("data/territory.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        ReferenceUnit(
            level=row["level"],
            code=row["code"],
            parent_code=row["parent_code"] or None,
            kind=row["kind"],
            name_fr=row["name_fr"],
            name_ar=row["name_ar"],
        )
        for row in rows
    )


def provinces() -> tuple[ReferenceUnit, ...]:
    return tuple(u for u in reference_units() if u.level == "province")


def regions() -> tuple[ReferenceUnit, ...]:
    return tuple(u for u in reference_units() if u.level == "region")
