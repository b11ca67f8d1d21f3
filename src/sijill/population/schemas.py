"""Pydantic I/O for persons."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    idcs: str
    given_name_ar: str | None
    family_name_ar: str | None
    given_name_lat: str | None
    family_name_lat: str | None
    father_given_name_ar: str | None
    father_given_name_lat: str | None
    mother_given_name_ar: str | None
    mother_given_name_lat: str | None
    sex: str
    birth_year: int
    birth_date: date | None
    birth_date_precision: str
    birth_place_code: str | None
    nationality: str
    cin: str | None
    phone: str | None
    annex_code: str
    status: str
    death_date: date | None
    merged_into_idcs: str | None = None
    version: int


class PersonPage(BaseModel):
    items: list[PersonOut]
    limit: int
    offset: int


class PersonIn(BaseModel):
    """A registration as typed by an agent; every rule is checked by ``population.validation``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_name_ar: str | None = Field(default=None, max_length=100)
    family_name_ar: str | None = Field(default=None, max_length=100)
    given_name_lat: str | None = Field(default=None, max_length=100)
    family_name_lat: str | None = Field(default=None, max_length=100)
    father_given_name_ar: str | None = Field(default=None, max_length=100)
    father_given_name_lat: str | None = Field(default=None, max_length=100)
    mother_given_name_ar: str | None = Field(default=None, max_length=100)
    mother_given_name_lat: str | None = Field(default=None, max_length=100)
    sex: str = Field(max_length=1)
    birth_year: int | None = Field(default=None, ge=1000, le=9999)
    birth_date: date | None = None
    birth_date_precision: Literal["day", "year", "presumed"] = "day"
    birth_place_code: str | None = Field(default=None, max_length=32)
    nationality: str = Field(default="MAR", max_length=3)
    cin: str | None = Field(default=None, max_length=12)
    phone: str | None = Field(default=None, max_length=24)
    annex_code: str = Field(max_length=32)


class CandidateOut(BaseModel):
    person: PersonOut
    score: float
    reasons: dict[str, Any]


class RegistrationOut(BaseModel):
    registration_id: int
    status: str
    annex_code: str
    submitted_by: str
    submitted_at: datetime
    person: PersonOut | None = None
    # Shown only to reviewers: an agent sees that the registration is held, not who it resembles.
    candidates: list[CandidateOut] = []
    submitted: dict[str, Any] | None = None
    decided_by: str | None = None
    decision_note: str | None = None
    # The data-quality rules the record breaks (sijill.quality.data_rules): shown, never blocking.
    warnings: list[dict[str, Any]] = []


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["same_person", "different"]
    person_idcs: str | None = Field(default=None, pattern=r"^[0-9]{10}$")
    note: str = Field(min_length=3, max_length=500)


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: dict[str, Any] = Field(min_length=1)
    reason: str = Field(min_length=3, max_length=500)
    version: int = Field(ge=1)


class DeathIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    death_date: date
    version: int = Field(ge=1)


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merged_idcs: str = Field(pattern=r"^[0-9]{10}$")
    reason: str = Field(min_length=3, max_length=500)


class RevertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500)


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    corrected_by: str
    corrected_at: datetime
    version_after: int


class MergeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    survivor_idcs: str
    merged_idcs: str
    reason: str
    merged_by: str
    merged_at: datetime
    reverted_by: str | None
    reverted_at: datetime | None
