"""What a programme rule file says, once read: conditions with their reason codes, and amounts.

See docs/programme-rules.md for the file format, written for policy staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from sijill.errors import Text

Period = Literal["month", "year", "once"]
PERIODS: tuple[Period, ...] = ("month", "year", "once")
Kind = Literal["benefit", "contribution", "cover"]
KINDS: tuple[Kind, ...] = ("benefit", "contribution", "cover")

# Facts about a member a rule can test, beyond the questionnaire's member fields.
REGISTER_FIELDS = {"sex": ("M", "F")}
NUMBER_FIELDS = ("age", "age_months")
# Only inside an amount's `when`: the member's rank in the line (1 = eldest).
RANK = "rank"


@dataclass(frozen=True)
class Bracket:
    """A half-open index bracket (above, at_most]: above < index <= at_most; either end may be open."""

    above: float | None = None
    at_most: float | None = None


@dataclass(frozen=True)
class FieldTest:
    name: str
    # Membership (categories, booleans), or a closed numeric range.
    values: tuple[Any, ...] | None = None
    at_least: float | None = None
    at_most: float | None = None


@dataclass(frozen=True)
class MemberTest:
    """Every test holds, and at least one of ``any_of`` when there are some."""

    tests: tuple[FieldTest, ...] = ()
    any_of: tuple[MemberTest, ...] = ()


@dataclass(frozen=True)
class IndexCondition:
    bracket: Bracket
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class ResidenceCondition:
    milieus: tuple[str, ...] | None
    regions: tuple[str, ...] | None
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class DeclarantCondition:
    test: MemberTest
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class MembersCondition:
    test: MemberTest
    at_least: int | None
    at_most: int | None
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class NoLinksCondition:
    """No member (or no member of the given relationships) is in force in these registries."""

    registries: tuple[str, ...]
    relationships: tuple[str, ...] | None
    reason: str
    line: int | None = None


Condition = IndexCondition | ResidenceCondition | DeclarantCondition | MembersCondition | NoLinksCondition


@dataclass(frozen=True)
class Amount:
    when: MemberTest | None
    # One amount, or one per household milieu.
    amount: float | None = None
    by_milieu: dict[str, float] | None = None


@dataclass(frozen=True)
class Line:
    """One amount per member selected: ranked eldest first among ``rank_among`` (by default the
    selected members themselves), up to ``rank_at_most``; the first matching amount applies."""

    id: str
    label: Text
    members: MemberTest
    amounts: tuple[Amount, ...]
    period: Period
    rank_among: MemberTest | None = None
    rank_at_most: int | None = None


@dataclass(frozen=True)
class Entitlement:
    period: Period
    lines: tuple[Line, ...] = ()
    # An amount by index bracket (contributions by bracket).
    by_index: tuple[tuple[Bracket, float], ...] = ()
    # For households with no line of the entitlement's period.
    without_lines: float | None = None
    floor: float | None = None
    cap: float | None = None


@dataclass(frozen=True)
class ProgrammeRule:
    id: str
    version: str
    effective_from: date
    effective_to: date | None
    status: str
    source: str
    name: Text
    kind: Kind
    conditions: tuple[Condition, ...]
    entitlement: Entitlement | None
    reasons: dict[str, Text]
    path: Path = field(compare=False)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    @property
    def needs_index(self) -> bool:
        return bool(self.entitlement and self.entitlement.by_index) or any(
            isinstance(c, IndexCondition) for c in self.conditions
        )
