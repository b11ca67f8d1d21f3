"""What a page form needs around a service call: the typed values back as they were typed, and
every error next to its field in the user's language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sijill.errors import SijillError
from sijill.web.i18n import pick, translate

# Pydantic's error types a form can produce, and the label that says what to type instead.
_TYPE_LABELS = {
    "missing": "form.error.missing",
    "int_parsing": "form.error.integer",
    "int_type": "form.error.integer",
    "float_parsing": "form.error.number",
    "greater_than_equal": "form.error.too_small",
    "greater_than": "form.error.too_small",
    "less_than_equal": "form.error.too_large",
    "less_than": "form.error.too_large",
    "date_parsing": "form.error.date",
    "date_from_datetime_parsing": "form.error.date",
    "date_type": "form.error.date",
    "string_too_long": "form.error.too_long",
    "string_too_short": "form.error.too_short",
    "string_pattern_mismatch": "form.error.pattern",
    "literal_error": "form.error.choice",
    "enum": "form.error.choice",
    "extra_forbidden": "form.error.unknown_field",
}


@dataclass
class FormErrors:
    """Messages by field name, and those that belong to no one field (shown above the form)."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.by_field.setdefault(name, []).append(message)
        else:
            self.general.append(message)

    def of(self, name: str) -> list[str]:
        return self.by_field.get(name, [])


def form_values(form: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """The named fields as typed, trimmed; a field left empty is absent."""
    values: dict[str, str] = {}
    for name in names:
        raw = form.get(name)
        text = raw.strip() if isinstance(raw, str) else ""
        if text:
            values[name] = text
    return values


def from_validation(exc: ValidationError, language: str, prefix: str = "") -> FormErrors:
    errors = FormErrors()
    for err in exc.errors():
        name = ".".join(str(part) for part in err.get("loc", ()))
        context = err.get("ctx") or {}
        key = _TYPE_LABELS.get(str(err.get("type")), "form.error.invalid")
        limits = {k: context.get(k, "") for k in ("min_length", "max_length", "ge", "le", "gt", "lt", "expected")}
        errors.add(prefix + name if name else None, translate(language, key, **limits))
    return errors


def from_domain(exc: SijillError, language: str, prefix: str = "") -> FormErrors:
    """A service's refusal: each listed problem under its field, or the message above the form."""
    errors = FormErrors()
    for problem in exc.details:
        # Two shapes: {"field", "message": {ar, fr, en}, "fix": {...}} and, from the social
        # registry's declarations, {"field", "ar", "fr", "en"}.
        message = problem.get("message", problem if "fr" in problem else None)
        if isinstance(message, dict):
            fix = problem.get("fix")
            text = pick(language, message)
            if isinstance(fix, dict):
                text = f"{text} — {pick(language, fix)}"
            name = problem.get("field")
            errors.add(prefix + str(name) if name else None, text)
    if not errors:
        text = pick(language, exc.message)
        if exc.fix is not None:
            text = f"{text} — {pick(language, exc.fix)}"
        errors.add(prefix + exc.field if exc.field and exc.status == 422 else None, text)
    return errors
