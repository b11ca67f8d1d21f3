"""Pydantic I/O for persons."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


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
    version: int


class PersonPage(BaseModel):
    items: list[PersonOut]
    limit: int
    offset: int
