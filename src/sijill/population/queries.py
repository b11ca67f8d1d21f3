"""Reads of the population register: always scoped in the query, always audited."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.errors import NotFoundError
from sijill.linkage.names import name_key
from sijill.population.models import Person
from sijill.population.schemas import PersonOut
from sijill.population.validation import normalize_cin, normalize_phone


def read_person(session: Session, actor: Actor, idcs: str) -> PersonOut:
    """One person by IDCS; outside the actor's territory it does not exist (404, not 403)."""
    actor.require(Permission.PERSON_READ)
    person = session.execute(
        select(Person).where(Person.idcs == idcs, in_scope(actor, Person.annex_code))
    ).scalar_one_or_none()
    if person is None:
        raise NotFoundError("person", idcs)
    audit.record(session, actor, "person.read", "person", person.idcs, person.annex_code)
    return PersonOut.model_validate(person)


def list_persons(
    session: Session, actor: Actor, *, annex_code: str | None = None, limit: int = 50, offset: int = 0
) -> list[PersonOut]:
    actor.require(Permission.PERSON_READ)
    query = (
        select(Person)
        .where(in_scope(actor, Person.annex_code))
        .order_by(Person.annex_code, Person.id)
        .limit(limit)
        .offset(offset)
    )
    if annex_code is not None:
        query = query.where(Person.annex_code == annex_code)
    people = [PersonOut.model_validate(p) for p in session.execute(query).scalars()]
    audit.record(
        session,
        actor,
        "person.list",
        "person",
        None,
        annex_code or actor.scope_code,
        {
            "annex_code": annex_code,
            "limit": limit,
            "offset": offset,
            "returned": len(people),
            "idcs": [p.idcs for p in people],
        },
    )
    return people


def search_persons(
    session: Session,
    actor: Actor,
    *,
    idcs: str | None = None,
    cin: str | None = None,
    phone: str | None = None,
    name: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    birth_year: int | None = None,
    birth_date: date | None = None,
    annex_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[PersonOut]:
    """Find persons in the actor's territory; names match in either script, tolerant of spelling."""
    actor.require(Permission.PERSON_READ)
    query = select(Person).where(in_scope(actor, Person.annex_code))
    if annex_code:
        query = query.where(Person.annex_code == annex_code)
    if idcs:
        query = query.where(Person.idcs == idcs)
    if cin:
        query = query.where(Person.cin == normalize_cin(cin))
    if phone:
        query = query.where(Person.phone == (normalize_phone(phone) or phone))
    if name:
        key = name_key(name)
        query = query.where(or_(Person.given_key == key, Person.family_key == key))
    if given_name:
        query = query.where(Person.given_key == name_key(given_name))
    if family_name:
        query = query.where(Person.family_key == name_key(family_name))
    if birth_date:
        query = query.where(Person.birth_date == birth_date)
    if birth_year:
        query = query.where(Person.birth_year == birth_year)
    rows = session.execute(query.order_by(Person.family_key, Person.given_key, Person.id).limit(limit).offset(offset))
    people = [PersonOut.model_validate(p) for p in rows.scalars()]
    criteria = [
        k
        for k, v in {
            "idcs": idcs,
            "cin": cin,
            "phone": phone,
            "name": name,
            "given_name": given_name,
            "family_name": family_name,
            "birth_year": birth_year,
            "birth_date": birth_date,
        }.items()
        if v
    ]
    # The criteria names are traced, not their values: a searched name is personal data too.
    audit.record(
        session,
        actor,
        "person.search",
        "person",
        None,
        actor.scope_code,
        {"criteria": criteria, "returned": len(people), "idcs": [p.idcs for p in people]},
    )
    return people


EXPORT_COLUMNS = (
    "idcs", "given_name_ar", "family_name_ar", "given_name_lat", "family_name_lat", "father_given_name_ar",
    "father_given_name_lat", "mother_given_name_ar", "mother_given_name_lat", "sex", "birth_year", "birth_date",
    "birth_date_precision", "birth_place_code", "nationality", "cin", "phone", "annex_code", "status",
    "death_date",
)  # fmt: skip


def export_frame(session: Session, actor: Actor, *, annex_code: str | None = None) -> pl.DataFrame:
    """The actor's part of the register as a frame, in the import column schema (audited)."""
    actor.require(Permission.PERSON_READ)
    query = select(*(getattr(Person, c) for c in EXPORT_COLUMNS)).where(in_scope(actor, Person.annex_code))
    if annex_code is not None:
        query = query.where(Person.annex_code == annex_code)
    frame = pl.read_database(query.order_by(Person.id), session.connection())
    audit.record(
        session, actor, "person.export", "person", None, annex_code or actor.scope_code, {"rows": frame.height}
    )
    return frame
