"""Check a person record before it is written: every rule, every problem reported at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.scope import code_in_scope
from sijill.bulk import table_of
from sijill.errors import SijillError, Text
from sijill.population.validation import check_person
from sijill.territory.models import TerritoryUnit

REGISTER_FIELDS = (
    "given_name_ar", "family_name_ar", "given_name_lat", "family_name_lat",
    "father_given_name_ar", "father_given_name_lat", "mother_given_name_ar", "mother_given_name_lat",
    "sex", "birth_year", "birth_date", "birth_date_precision", "birth_place_code", "nationality",
    "cin", "phone", "annex_code",
)  # fmt: skip


_UNITS = table_of(TerritoryUnit)
_ANNEX = select(_UNITS.c.code).where(_UNITS.c.code == bindparam("code"), _UNITS.c.level == "annex")


def writable_annexes(session: Session, actor: Actor, annex_code: str | None) -> set[str]:
    """The annex, if it exists and the actor may write there; an empty set otherwise.

    An annex outside the actor's territory is reported like an unknown one, so writes do not
    reveal what exists elsewhere.
    """
    if not annex_code or not code_in_scope(actor, annex_code):
        return set()
    found = session.connection().execute(_ANNEX, {"code": annex_code}).scalar_one_or_none()
    return {found} if found else set()


def invalid_record(problems: list[dict[str, Any]]) -> SijillError:
    return SijillError(
        code="person_invalid",
        status=422,
        message=Text(
            ar=f"البطاقة تحتوي على {len(problems)} خطأ؛ لم يسجل أي شيء",
            fr=f"La fiche contient {len(problems)} erreur(s) ; rien n'a été enregistré",
            en=f"record has {len(problems)} problem(s); nothing was written",
        ),
        fix=Text(
            "صححوا الحقول المذكورة ثم أعيدوا الإرسال",
            "Corrigez les champs indiqués puis renvoyez",
            "fix the listed fields and submit again",
        ),
        details=problems,
    )


def checked_record(session: Session, actor: Actor, raw: dict[str, Any], today: date) -> dict[str, Any]:
    """The normalised record (CIN, phone, names ...) or a 422 listing every problem."""
    if raw.get("birth_year") is None and isinstance(raw.get("birth_date"), date):
        raw = {**raw, "birth_year": raw["birth_date"].year}
    normalised, problems = check_person(
        raw, today=today, known_annexes=writable_annexes(session, actor, raw.get("annex_code"))
    )
    if problems:
        raise invalid_record([p.as_dict() for p in problems])
    return {name: normalised.get(name) for name in REGISTER_FIELDS}
