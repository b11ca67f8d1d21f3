"""Work for reviewers: a registration held because it resembles a person already registered,
and duplicate pairs as a deduplication run leaves them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.access.roles import Role
from sijill.db import transaction
from sijill.linkage.models import DedupRun, DuplicatePair
from sijill.population import registration
from sijill.population.models import Person
from sijill.population.schemas import PersonIn
from tests.conftest import SYSTEM, actor
from tests.factories import ANNEX_A, ANNEX_B, ANNEX_OTHER_PROVINCE, add_person

AGENT_A = actor(Role.ANNEX_AGENT, ANNEX_A, "agent_a")
AMINA = "1000000011"
KARIMA = "3000000033"
# Amina's double at annex B: the same names and birth date, another CIN, another number.
TWIN = "4000000044"


FIRST: dict[str, Any] = {
    "given_name_lat": "Youssef",
    "family_name_lat": "Tazi",
    "given_name_ar": "يوسف",
    "family_name_ar": "التازي",
    "father_given_name_lat": "Ahmed",
    "sex": "M",
    "birth_date": "1990-04-12",
    "birth_date_precision": "day",
    "nationality": "MAR",
    "cin": "D123456",
    "annex_code": ANNEX_B,
}


def held_registration(
    factory: sessionmaker[Session],
    *,
    by: Actor = AGENT_A,
    annex: str = ANNEX_A,
    first_annex: str = ANNEX_B,
    person: dict[str, Any] | None = None,
) -> tuple[int, str]:
    """``person`` (Youssef Tazi by default) is registered at ``first_annex``; ``by`` then types
    him again at ``annex`` with other spellings and no CIN: that registration is held for a
    reviewer. Returns it and the first record's IDCS."""
    record = {**FIRST, **(person or {}), "annex_code": first_annex}
    with transaction(factory) as session:
        first = registration.register_person(session=session, actor=SYSTEM, data=PersonIn.model_validate(record))
        assert first.person is not None
        again = {**record, "cin": None, "annex_code": annex}
        again["given_name_lat"] = record["given_name_lat"].replace("ss", "c")
        again["family_name_lat"] = record["family_name_lat"].replace("z", "zz")
        held = registration.register_person(session=session, actor=by, data=PersonIn.model_validate(again))
    assert held.status == "pending_review", held.status
    return held.registration_id, first.person.idcs


def _person(session: Session, idcs: str, annex: str, given: str, family: str, cin: str) -> Person:
    return add_person(session, idcs=idcs, annex=annex, given_lat=given, family_lat=family, cin=cin)


def duplicate_pairs(factory: sessionmaker[Session]) -> dict[str, int]:
    """Two open pairs as a run proposes them: Amina and her double at annex B (in the province's
    reviewer's territory), and Karima with a double in her own province (outside it)."""
    with transaction(factory) as session:
        twin = _person(session, TWIN, ANNEX_B, "Amina", "Alaoui", "ZZ400004")
        other = _person(session, "5000000055", ANNEX_OTHER_PROVINCE, "Karima", "Kettani", "ZZ500005")
        found = {
            idcs: (person_id, annex)
            for idcs, person_id, annex in session.execute(
                select(Person.idcs, Person.id, Person.annex_code).where(Person.idcs.in_([AMINA, KARIMA]))
            )
        }
        now = datetime.now(UTC)
        run = DedupRun(
            scope_code=None,
            started_by="admin",
            started_at=now,
            finished_at=now,
            records=5,
            threshold=0.9,
            pairs_proposed=2,
            pairs_known_different=0,
            model={},
            blocking={},
        )
        session.add(run)
        session.flush()
        pairs = {}
        for name, first, second, probability in (
            ("amina", found[AMINA], twin, 0.97),
            ("karima", found[KARIMA], other, 0.95),
        ):
            pair = DuplicatePair(
                run_id=run.id,
                person_a_id=first[0],
                person_b_id=second.id,
                annex_a=first[1],
                annex_b=second.annex_code,
                cluster=str(first[0]),
                match_probability=probability,
                match_weight=8.5,
                evidence={"given_name": 4.1, "birth_date": 3.2, "cin": -2.5},
                status="open",
            )
            session.add(pair)
            session.flush()
            pairs[name] = pair.id
    return pairs
