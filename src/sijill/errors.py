"""Errors a user can act on: field, value, rule and fix, in Arabic and French (English for logs).

Services raise these; the API turns them into HTTP 4xx JSON and the CLI into exit code 2, so
no user ever sees a stack trace.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Text:
    ar: str
    fr: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"ar": self.ar, "fr": self.fr, "en": self.en}


@dataclass
class SijillError(Exception):
    """Base of every error meant for a person: code, message and how to fix it."""

    code: str
    message: Text
    fix: Text | None = None
    field: str | None = None
    value: Any = None
    status: int = 400
    details: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:  # English, for logs; never includes personal data by design
        return f"{self.code}: {self.message.en}"

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message.as_dict()}
        if self.field is not None:
            body["field"] = self.field
        if self.value is not None:
            body["value"] = self.value
        if self.fix is not None:
            body["fix"] = self.fix.as_dict()
        if self.details:
            body["details"] = self.details
        return body

    def bilingual(self) -> str:
        lines = [self.message.ar, self.message.fr]
        if self.fix is not None:
            lines += [self.fix.ar, self.fix.fr]
        return "\n".join(lines)


class NotFoundError(SijillError):
    """Also used for records outside the actor's scope: existence must not leak."""

    def __init__(self, entity: str, key: str) -> None:
        super().__init__(
            code="not_found",
            message=Text(
                ar=f"لا يوجد سجل ({entity}) بهذا المعرف: {key}",
                fr=f"Aucun enregistrement ({entity}) avec l'identifiant {key}",
                en=f"no {entity} with id {key}",
            ),
            field="id",
            value=key,
            status=404,
        )


class ForbiddenError(SijillError):
    def __init__(self, permission: str) -> None:
        super().__init__(
            code="forbidden",
            message=Text(
                ar="دوركم لا يسمح بهذه العملية",
                fr="Votre rôle ne permet pas cette opération",
                en=f"role lacks permission {permission}",
            ),
            fix=Text(
                ar="اطلبوا من المسؤول دورا مناسبا",
                fr="Demandez un rôle adapté à l'administrateur",
                en="ask an administrator for a suitable role",
            ),
            status=403,
        )


def invalid(field_name: str, value: Any, rule: Text, fix: Text, code: str = "invalid_value") -> SijillError:
    """A value that breaks a rule: the message names the field and the rule."""
    return SijillError(
        code=code,
        field=field_name,
        value=value,
        message=Text(
            ar=f"قيمة غير صالحة في الحقل «{field_name}»: {rule.ar}",
            fr=f"Valeur invalide pour le champ « {field_name} » : {rule.fr}",
            en=f"invalid value for {field_name}: {rule.en}",
        ),
        fix=fix,
        status=422,
    )
