"""Persons and forms for social-registry tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from sijill.population.models import IssuedIdcs, Person


def add_person(
    session: Session,
    idcs: str,
    annex: str,
    *,
    sex: str = "F",
    born: date = date(1980, 5, 17),
    death_date: date | None = None,
    cin: str | None = None,
) -> Person:
    now = datetime.now(UTC)
    session.add(IssuedIdcs(number=idcs, issued_at=now, issued_by="test"))
    session.flush()
    person = Person(
        idcs=idcs,
        cin=cin,
        given_name_lat="Test",
        family_name_lat="Person",
        sex=sex,
        birth_year=born.year,
        birth_date=born,
        birth_date_precision="day",
        nationality="MAR",
        annex_code=annex,
        status="deceased" if death_date else "active",
        death_date=death_date,
        created_by="test",
        created_at=now,
        updated_by="test",
        updated_at=now,
    )
    session.add(person)
    session.flush()
    return person


def urban_answers(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "dwelling_type": "modern_moroccan_house",
        "rooms": 3,
        "occupancy": "tenant",
        "water": "network_in_dwelling",
        "electricity": "network",
        "sanitation": "public_sewer",
        "spend_water": 60,
        "spend_electricity": 90,
        "spend_phone": 50,
        "spend_butane": 100,
        "fridge": True,
        "tv": True,
        "satellite_dish": True,
        "washing_machine": False,
        "computer": False,
        "internet": False,
        "mobile_phone": True,
        "car": False,
        "motorcycle": False,
        "oven": False,
        "air_conditioner": False,
        "declared_size": 3,
    }
    return {**answers, **changes}


def member(idcs: str, relationship: str, **changes: Any) -> dict[str, Any]:
    base = {
        "idcs": idcs,
        "relationship": relationship,
        "education": "primary",
        "in_school": False,
        "occupation": "employed_informal",
        "disability": False,
    }
    return {**base, **changes}


def form(annex: str, members: list[dict[str, Any]], **answers: Any) -> dict[str, Any]:
    return {
        "annex_code": annex,
        "address": "N° 4, Rue Al Massira, Hay Salam",
        "declared_on": "2026-03-01",
        "declarant_idcs": members[0]["idcs"],
        "members": members,
        "answers": urban_answers(declared_size=len(members), **answers),
    }
