"""The application form, as the checks read it. Intake keeps whatever was sent; only the `form`
check holds it to this shape, so a malformed form still has its receipt."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

IDCS_PATTERN = r"^\d{10}$"


class FormMember(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idcs: str = Field(pattern=IDCS_PATTERN)
    relationship: str | None = Field(default=None, max_length=16)


class ApplicationForm(BaseModel):
    """The applicant and the other members of the household the application is for, with the
    address and phone they give (compared with the household's latest declaration)."""

    model_config = ConfigDict(extra="forbid")

    applicant_idcs: str = Field(pattern=IDCS_PATTERN)
    members: list[FormMember] = Field(default_factory=list, max_length=40)
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=30)
    # Online forms name the annex they are for; at the counter it is the agent's.
    annex_code: str | None = Field(default=None, max_length=32)


def parse_form(raw: dict[str, Any]) -> tuple[ApplicationForm | None, list[dict[str, Any]]]:
    """The form, or None with one finding per field that breaks its shape."""
    try:
        return ApplicationForm.model_validate(raw), []
    except ValidationError as exc:
        findings = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "form"
            value = error.get("input")
            shown = value if isinstance(value, str | int | float) and len(str(value)) <= 60 else None
            findings.append({"code": "form_invalid", "field": field, "value": shown, "detail": error["type"]})
        return None, findings


def applicant_idcs_of(raw: dict[str, Any]) -> str | None:
    """The IDCS a form gives for its applicant, if it gives a plausible one (kept at intake)."""
    value = raw.get("applicant_idcs")
    return value.strip()[:40] if isinstance(value, str) and value.strip() else None
