"""Reads of the population register: always scoped in the query, always audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.errors import NotFoundError
from sijill.population.models import Person
from sijill.population.schemas import PersonOut


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
