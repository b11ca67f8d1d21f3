"""The index thresholds of the programmes in force: each rule's `index: {at_most: X}` condition.

Brackets are half-open: a household qualifies when its index is at most the threshold. Only rules
whose threshold is official count here (scores crossing them notify households, and accuracy is
reported against them); an illustrative threshold (a scholarship's unpublished one) does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sijill.errors import Text


@dataclass(frozen=True)
class Threshold:
    programme: str
    version: str
    at_most: float
    name: Text


def index_thresholds(day: date | None = None) -> list[Threshold]:
    """Each programme's index threshold on ``day`` (today by default), lowest first."""
    from sijill.programmes.rule_types import IndexCondition
    from sijill.programmes.rules import rules_in_force, shipped_rules

    found = [
        Threshold(programme=rule.id, version=rule.version, at_most=condition.bracket.at_most, name=rule.name)
        for rule in rules_in_force(shipped_rules(), day or date.today())
        for condition in rule.conditions
        if rule.status == "official" and isinstance(condition, IndexCondition) and condition.bracket.at_most is not None
    ]
    return sorted(found, key=lambda t: (t.at_most, t.programme))
