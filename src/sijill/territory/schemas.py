"""Pydantic I/O for territorial units."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class UnitOut(BaseModel):
    code: str
    level: str
    parent_code: str | None
    kind: str
    milieu: str | None
    name_fr: str
    name_ar: str
    official_code: str | None
    valid_from: date
    valid_to: date | None


class ImportReport(BaseModel):
    created_units: int
    created_versions: int
    skipped_unchanged: int
