"""Input and output of the social registry: households, declarations, scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Idcs = Annotated[str, Field(pattern=r"^[0-9]{10}$")]
# Answers are typed by the questionnaire, not here: a wrong type is reported with the others.
AnswerValue = bool | int | float | str | None
Channel = Literal["annex", "online", "mobile"]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idcs: Idcs
    relationship: str = Field(max_length=32)
    education: str = Field(max_length=32)
    in_school: bool
    occupation: str | None = Field(default=None, max_length=32)
    disability: bool = False
    marital_status: str | None = Field(default=None, max_length=16)


class DeclarationIn(BaseModel):
    """A complete form: who lives in the household and the answers, as of `declared_on`."""

    model_config = ConfigDict(extra="forbid")

    declared_on: date | None = None
    channel: Channel = "annex"
    declarant_idcs: Idcs
    members: list[MemberIn] = Field(min_length=1, max_length=60)
    answers: dict[str, AnswerValue] = Field(max_length=100)


class HouseholdIn(DeclarationIn):
    annex_code: str = Field(max_length=32, pattern=r"^[0-9.]+$")
    address: str = Field(min_length=3, max_length=300)


class DeclarationUpdateIn(DeclarationIn):
    # The household version the agent read: a stale update gets 409.
    version: int = Field(ge=1)
    address: str | None = Field(default=None, min_length=3, max_length=300)


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0, le=20)
    reason: str = Field(min_length=10, max_length=500)


class MemberOut(BaseModel):
    idcs: str
    relationship: str
    age: int
    education: str
    in_school: bool
    occupation: str | None
    disability: bool
    marital_status: str | None


class ProgrammeStanding(BaseModel):
    programme: str
    threshold: float
    # Index at most the threshold (half-open brackets).
    within: bool


class ScoreOut(BaseModel):
    model: str
    declaration_number: int
    calculated: float
    corrected: float | None
    correction_reason: str | None
    effective: float
    calculated_at: datetime
    programmes: list[ProgrammeStanding]


class DeclarationOut(BaseModel):
    number: int
    declared_on: date
    declared_by: str
    channel: str
    questionnaire: str
    declarant_idcs: str
    answers: dict[str, AnswerValue]
    variables: dict[str, AnswerValue]
    members: list[MemberOut]


class HouseholdOut(BaseModel):
    number: str
    annex_code: str
    milieu: str
    address: str
    status: str
    version: int
    declaration: DeclarationOut
    score: ScoreOut | None


class ContributionOut(BaseModel):
    variable: str
    # The question as the form puts it, in Arabic and French, for the person shown the explanation.
    label_ar: str
    label_fr: str
    term: str
    value: AnswerValue
    contribution: float


class ExplanationOut(BaseModel):
    model: str
    score: float
    intercept: float
    regional: float
    contributions: list[ContributionOut]


class CorrectionOut(BaseModel):
    corrected_score: float
    reason: str
    corrected_by: str
    corrected_at: datetime


class ScoreHistoryItem(BaseModel):
    declaration_number: int
    model: str
    calculated: float
    calculated_at: datetime
    corrections: list[CorrectionOut]


class HistoryOut(BaseModel):
    number: str
    declarations: list[DeclarationOut]
    scores: list[ScoreHistoryItem]


class ScoreEventOut(BaseModel):
    """The household's index crossed a programme threshold (half-open: at most the threshold is within)."""

    programme: str
    threshold: float
    previous_score: float | None
    new_score: float
    direction: str
    cause: str
    created_at: datetime
    notified_at: datetime | None
