"""The index thresholds of the programmes (`rules/programmes/*.yaml`, their `index: {at_most: X}`).

Brackets are half-open: a household qualifies when its index is at most the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

from sijill.errors import Text
from sijill.rules_files import read_rule_file, rule_files


@dataclass(frozen=True)
class Threshold:
    programme: str
    version: str
    at_most: float
    name: Text


def index_thresholds() -> list[Threshold]:
    """Each programme's index threshold, lowest first."""
    found: list[Threshold] = []
    for path in rule_files("programmes"):
        doc = read_rule_file(path)
        conditions = doc.sequence(("eligible_when", "all"))
        for index, condition in enumerate(conditions):
            if isinstance(condition, dict) and "index" in condition:
                found.append(
                    Threshold(
                        programme=doc.string(("id",)),
                        version=str(doc.at(("version",))),
                        at_most=doc.number(("eligible_when", "all", index, "index", "at_most")),
                        name=Text(ar=doc.string(("name", "ar")), fr=doc.string(("name", "fr")), en=doc.string(("id",))),
                    )
                )
    return sorted(found, key=lambda t: t.at_most)
