"""The members of a declaration checked against the register: every rule broken, listed at once.

Members are found by IDCS across the whole register, not only in the actor's territory: people move,
and the agent has the person's identifier in hand. What an error says about a person or a household
outside the actor's territory is only that the rule is broken, never which household or where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.scope import code_in_scope
from sijill.population.models import Person
from sijill.social_registry.models import Household, HouseholdMember, household_number
from sijill.social_registry.schemas import DeclarationIn

ADULT_AGE = 18


@dataclass(frozen=True)
class ResolvedMember:
    person: Person
    age: int
    answers: dict[str, Any]


def age_on(person: Person, day: date) -> int:
    born = person.birth_date or date(person.birth_year, 1, 1)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _problem(field: str, value: Any, rule: str, ar: str, fr: str) -> dict[str, Any]:
    return {"field": field, "value": value, "rule": rule, "ar": ar, "fr": fr}


def resolve_members(
    session: Session, actor: Actor, data: DeclarationIn, day: date, household_id: int | None
) -> tuple[list[ResolvedMember], list[dict[str, Any]]]:
    """The members as register records with their age on `day`, and every problem found."""
    wanted = [m.idcs for m in data.members]
    persons = {p.idcs: p for p in session.execute(select(Person).where(Person.idcs.in_(wanted))).scalars()}
    problems: list[dict[str, Any]] = []
    resolved: list[ResolvedMember] = []
    seen: set[str] = set()
    for index, member in enumerate(data.members):
        field = f"members.{index}.idcs"
        person = persons.get(member.idcs)
        if member.idcs in seen:
            problems.append(
                _problem(
                    field,
                    member.idcs,
                    "member_repeated",
                    "هذا الفرد مذكور مرتين في الاستمارة",
                    "Ce membre figure deux fois dans le formulaire",
                )
            )
            continue
        seen.add(member.idcs)
        if person is None:
            problems.append(
                _problem(
                    field,
                    member.idcs,
                    "person_unknown",
                    "لا يوجد شخص بهذا المعرف في السجل الوطني للسكان؛ يجب تسجيله أولا",
                    "Aucune personne avec cet IDCS au RNP : inscrivez-la d'abord",
                )
            )
            continue
        if person.status == "merged":
            problems.append(
                _problem(
                    field,
                    member.idcs,
                    "person_merged",
                    "هذه البطاقة مدمجة في أخرى: استعملوا المعرف الباقي",
                    "Cette fiche a été fusionnée : utilisez l'IDCS survivant",
                )
            )
            continue
        if person.death_date is not None and person.death_date <= day:
            problems.append(
                _problem(
                    field,
                    member.idcs,
                    "member_deceased",
                    "هذا الشخص متوفى في تاريخ التصريح",
                    "Cette personne est décédée à la date de la déclaration",
                )
            )
            continue
        answers = member.model_dump(exclude={"idcs"})
        resolved.append(ResolvedMember(person=person, age=age_on(person, day), answers=answers))
    problems += _declarant_problems(data, resolved)
    problems += _membership_conflicts(session, actor, resolved, data, household_id)
    return resolved, problems


def _declarant_problems(data: DeclarationIn, members: list[ResolvedMember]) -> list[dict[str, Any]]:
    problems = []
    declarant = next((m for m in members if m.person.idcs == data.declarant_idcs), None)
    if declarant is None:
        if data.declarant_idcs not in {m.idcs for m in data.members}:
            problems.append(
                _problem(
                    "declarant_idcs",
                    data.declarant_idcs,
                    "declarant_not_member",
                    "المصرح يجب أن يكون من أفراد الأسرة",
                    "Le déclarant doit être membre du ménage",
                )
            )
        return problems
    if declarant.age < ADULT_AGE:
        problems.append(
            _problem(
                "declarant_idcs",
                data.declarant_idcs,
                "declarant_minor",
                f"المصرح يجب أن يكون راشدا (18 سنة فأكثر)؛ سنه {declarant.age}",
                f"Le déclarant doit être majeur (18 ans ou plus) ; il a {declarant.age} ans",
            )
        )
    if declarant.answers["relationship"] != "head":
        problems.append(
            _problem(
                "declarant_idcs",
                data.declarant_idcs,
                "declarant_not_head",
                "صلة المصرح بنفسه هي «head»",
                "Le lien du déclarant avec lui-même est « head »",
            )
        )
    heads = [m for m in members if m.answers["relationship"] == "head"]
    if len(heads) > 1:
        problems.append(
            _problem(
                "members",
                len(heads),
                "one_head",
                "يجب أن يكون المصرح هو الوحيد بصفة «head»",
                "Seul le déclarant a le lien « head »",
            )
        )
    return problems


def _membership_conflicts(
    session: Session, actor: Actor, members: list[ResolvedMember], data: DeclarationIn, household_id: int | None
) -> list[dict[str, Any]]:
    """Members already in another active household; the other household is named only within scope."""
    ids = [m.person.id for m in members]
    if not ids:
        return []
    query = (
        select(HouseholdMember.person_id, Household.id, Household.annex_code)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(HouseholdMember.person_id.in_(ids), HouseholdMember.valid_to.is_(None))
    )
    if household_id is not None:
        query = query.where(HouseholdMember.household_id != household_id)
    taken = {person_id: (other_id, annex) for person_id, other_id, annex in session.execute(query)}
    problems = []
    position = {m.idcs: i for i, m in enumerate(data.members)}
    for member in members:
        if member.person.id not in taken:
            continue
        other_id, annex = taken[member.person.id]
        field = f"members.{position[member.person.idcs]}.idcs"
        if code_in_scope(actor, annex):
            number = household_number(other_id)
            problems.append(
                _problem(
                    field,
                    member.person.idcs,
                    "member_in_other_household",
                    f"هذا الشخص عضو في أسرة نشطة أخرى ({number}): أخرجوه منها أولا",
                    f"Cette personne est membre d'un autre ménage actif ({number}) : retirez-la d'abord",
                )
            )
        else:
            problems.append(
                _problem(
                    field,
                    member.person.idcs,
                    "member_in_other_household",
                    "هذا الشخص عضو في أسرة نشطة أخرى خارج مجالكم الترابي: يجب إخراجه منها هناك أولا",
                    "Cette personne est membre d'un autre ménage actif hors de votre territoire : "
                    "elle doit d'abord en être retirée là-bas",
                )
            )
    return problems
