"""Small, explicit test data: two annexes in one province, one in another, persons in each."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from sijill.access import service as access_service
from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.access.schemas import UserIn
from sijill.population.models import IssuedIdcs, Person
from sijill.territory.service import import_territory

ANNEX_A = "03.02.001.01"
ANNEX_B = "03.02.001.02"
ANNEX_OTHER_PROVINCE = "04.04.001.01"
PASSWORD = "correct-horse-battery"

UNITS = [
    {
        "level": "commune",
        "code": "03.02.001",
        "parent_code": "03.02",
        "kind": "urban_commune",
        "milieu": "urban",
        "name_fr": "Meknès",
        "name_ar": "مكناس",
    },
    {
        "level": "annex",
        "code": ANNEX_A,
        "parent_code": "03.02.001",
        "kind": "annex",
        "milieu": "urban",
        "name_fr": "Annexe 1",
        "name_ar": "الملحقة 1",
    },
    {
        "level": "annex",
        "code": ANNEX_B,
        "parent_code": "03.02.001",
        "kind": "annex",
        "milieu": "urban",
        "name_fr": "Annexe 2",
        "name_ar": "الملحقة 2",
    },
    {
        "level": "commune",
        "code": "04.04.001",
        "parent_code": "04.04",
        "kind": "urban_commune",
        "milieu": "urban",
        "name_fr": "Kénitra",
        "name_ar": "القنيطرة",
    },
    {
        "level": "annex",
        "code": ANNEX_OTHER_PROVINCE,
        "parent_code": "04.04.001",
        "kind": "annex",
        "milieu": "urban",
        "name_fr": "Annexe K1",
        "name_ar": "ملحقة ق1",
    },
]

# One person per annex; names chosen so a leak is easy to spot in any response body.
PERSONS = {
    ANNEX_A: ("1000000011", "Amina", "Alaoui", "أمينة", "العلوي", "AA100001"),
    ANNEX_B: ("2000000022", "Brahim", "Berrada", "ابراهيم", "برادة", "BB200002"),
    ANNEX_OTHER_PROVINCE: ("3000000033", "Karima", "Kettani", "كريمة", "الكتاني", "KK300003"),
}


def seed_territory(session: Session, actor: Actor) -> None:
    import_territory(session=session, actor=actor, records=UNITS, source_name="test")


def add_person(
    session: Session,
    *,
    idcs: str,
    annex: str,
    given_lat: str,
    family_lat: str,
    cin: str,
    given_ar: str | None = None,
    family_ar: str | None = None,
    phone: str | None = None,
) -> Person:
    """A woman born 17 May 1980, written straight into the register (no duplicate check)."""
    now = datetime.now(UTC)
    session.add(IssuedIdcs(number=idcs, issued_at=now, issued_by="test"))
    session.flush()
    person = Person(
        idcs=idcs,
        given_name_lat=given_lat,
        family_name_lat=family_lat,
        given_name_ar=given_ar,
        family_name_ar=family_ar,
        sex="F",
        birth_year=1980,
        birth_date=date(1980, 5, 17),
        birth_date_precision="day",
        nationality="MAR",
        cin=cin,
        phone=phone,
        annex_code=annex,
        status="active",
        created_by="test",
        created_at=now,
        updated_by="test",
        updated_at=now,
    )
    session.add(person)
    session.flush()
    return person


def seed_persons(session: Session) -> None:
    for annex, (idcs, given_lat, family_lat, given_ar, family_ar, cin) in PERSONS.items():
        add_person(
            session,
            idcs=idcs,
            annex=annex,
            given_lat=given_lat,
            family_lat=family_lat,
            given_ar=given_ar,
            family_ar=family_ar,
            cin=cin,
            phone="+212612345678",
        )


def create_user(session: Session, actor: Actor, username: str, role: Role, scope: str | None) -> None:
    access_service.create_user(
        session=session,
        actor=actor,
        data=UserIn(username=username, full_name=username.title(), password=PASSWORD, role=role, scope_code=scope),
    )


def seed_world(session: Session, actor: Actor) -> None:
    """Territory, three persons and one user per role."""
    seed_territory(session, actor)
    seed_persons(session)
    create_user(session, actor, "agent_a", Role.ANNEX_AGENT, ANNEX_A)
    create_user(session, actor, "agent_b", Role.ANNEX_AGENT, ANNEX_B)
    create_user(session, actor, "reviewer", Role.REVIEWER, "03.02")
    create_user(session, actor, "sup_province", Role.SUPERVISOR_PROVINCE, "03.02")
    create_user(session, actor, "sup_region", Role.SUPERVISOR_REGION, "03")
    create_user(session, actor, "sup_national", Role.SUPERVISOR_NATIONAL, None)
    create_user(session, actor, "operator", Role.PROGRAMME_OPERATOR, None)
    create_user(session, actor, "analyst", Role.POLICY_ANALYST, None)
    create_user(session, actor, "auditor", Role.AUDITOR, None)
    create_user(session, actor, "admin", Role.ADMIN, None)
