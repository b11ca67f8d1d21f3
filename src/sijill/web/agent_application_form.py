"""The programme form an agent types at the counter: the applicant and the household's other
members by IDCS, the address and the phone. Only its shape is held here (an IDCS of ten digits);
what it says is judged by the cross-check after the receipt is given."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sijill.enrollment.form import ApplicationForm
from sijill.social_registry.schemas import HouseholdOut
from sijill.web.forms import FormErrors, from_validation
from sijill.web.i18n import translate

WORKFLOW = "amo-tadamon"
MEMBER_ROWS = 4
MAX_ROWS = 40
MORE_ROWS = 2
TOP_FIELDS = ("applicant_idcs", "address", "phone")
_MEMBER_FIELD = re.compile(r"^members\.(\d+)\.(.+)$")


@dataclass
class ParsedApplication:
    form: dict[str, Any] | None
    errors: FormErrors
    rows_of: list[int] = field(default_factory=list)


def row_count(form: Mapping[str, Any], wanted_more: bool) -> int:
    raw = form.get("rows")
    rows = int(raw) if isinstance(raw, str) and raw.isdigit() else MEMBER_ROWS
    return max(1, min(MAX_ROWS, rows + (MORE_ROWS if wanted_more else 0)))


def input_names(rows: int) -> list[str]:
    names = list(TOP_FIELDS)
    for row in range(rows):
        names += [f"members.{row}.idcs", f"members.{row}.relationship"]
    return names


def parse_application(rows: int, values: dict[str, str], language: str) -> ParsedApplication:
    """The form as the enrollment checks read it, or every shape error beside its input."""
    errors = FormErrors()
    members = []
    rows_of = []
    for row in range(rows):
        idcs = values.get(f"members.{row}.idcs")
        relationship = values.get(f"members.{row}.relationship")
        if idcs is None and relationship is None:
            continue
        if idcs is None:
            errors.add(f"members.{row}.idcs", translate(language, "application.error.row_without_idcs"))
            continue
        members.append({"idcs": idcs, **({"relationship": relationship} if relationship else {})})
        rows_of.append(row)
    raw: dict[str, Any] = {"applicant_idcs": values.get("applicant_idcs", ""), "members": members}
    raw.update({name: values[name] for name in ("address", "phone") if name in values})
    try:
        ApplicationForm.model_validate(raw)
    except ValidationError as exc:
        for name, messages in from_validation(exc, language).by_field.items():
            match = _MEMBER_FIELD.match(name)
            target = f"members.{rows_of[int(match[1])]}.{match[2]}" if match else name
            for message in messages:
                # An IDCS's pattern said in words rather than "format incorrect".
                shown = translate(language, "application.error.idcs") if target.endswith("idcs") else message
                errors.add(target, shown)
    return ParsedApplication(None if errors else raw, errors, rows_of)


def values_of_form(form: Mapping[str, Any]) -> dict[str, str]:
    """A stored form (whatever it holds) as the page's typed values."""
    values = {name: form[name] for name in TOP_FIELDS if isinstance(form.get(name), str)}
    members = form.get("members")
    for row, member in enumerate(members if isinstance(members, list) else []):
        if isinstance(member, dict):
            for name in ("idcs", "relationship"):
                if isinstance(member.get(name), str):
                    values[f"members.{row}.{name}"] = member[name]
    return values


def values_of_household(household: HouseholdOut) -> dict[str, str]:
    """The form the household's declarant would fill in, from its latest declaration."""
    declaration = household.declaration
    values = {"applicant_idcs": declaration.declarant_idcs, "address": household.address}
    others = [m for m in declaration.members if m.idcs != declaration.declarant_idcs]
    for row, member in enumerate(others):
        values[f"members.{row}.idcs"] = member.idcs
        values[f"members.{row}.relationship"] = member.relationship
    return values


def stored_rows(values: Mapping[str, str]) -> int:
    used = [int(m[1]) for name in values if (m := _MEMBER_FIELD.match(name))]
    return max(MEMBER_ROWS, (max(used) + 2) if used else 0)
