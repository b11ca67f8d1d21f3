"""What a decision looks like to a person: the API's and the command line's output."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class Label(BaseModel):
    ar: str
    fr: str


class ReasonOut(BaseModel):
    code: str
    text: Label


class LineOut(BaseModel):
    line: str
    label: Label
    # The member it is for (null for the household's own lines: flat amount, floor, cap, bracket).
    idcs: str | None
    rank: int | None
    amount: float
    period: str


class ExclusionOut(BaseModel):
    reason: str
    idcs: str
    registry: str


class MemberFactsOut(BaseModel):
    idcs: str
    relationship: str
    sex: str
    age: int
    in_school: bool
    disability: bool
    education: str
    marital_status: str | None


class DecisionOut(BaseModel):
    programme: str
    name: Label
    rule: str
    # "illustrative" when the rule rests on values that are not official (see its source).
    rule_status: str
    kind: str
    as_of: date
    model: str
    status: str
    reasons: list[ReasonOut]
    index: float | None
    period: str | None
    amount: float | None
    amount_once: float | None
    lines: list[LineOut]
    exclusions: list[ExclusionOut]
    members: list[MemberFactsOut]
