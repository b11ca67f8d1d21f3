"""Registering a person: check, look for duplicates, then issue an IDCS or hold for a reviewer.

A registration is always recorded first (with what was typed), so nothing submitted is lost;
its outcome is either an IDCS issued at once or a place in the review queue. Only a reviewer who
is not the registering agent can decide a held registration.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope
from sijill.bulk import table_of
from sijill.errors import NotFoundError, SijillError, Text
from sijill.population.candidates import Candidate, NameKeys, find_candidates
from sijill.population.checks import checked_record
from sijill.population.idcs import issue
from sijill.population.models import Person, Registration, RegistrationCandidate
from sijill.population.schemas import CandidateOut, DecisionIn, PersonIn, PersonOut, RegistrationOut
from sijill.quality.intake import person_warnings


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class Created(NamedTuple):
    """A person just written: its row id, and the record as written."""

    id: int
    person: PersonOut


def create_person(session: Session, actor: Actor, record: dict[str, Any], keys: NameKeys) -> Created:
    """Issue an IDCS and write the person, in the caller's transaction.

    One Core INSERT: the ORM's unit of work cost about half a millisecond of a registration's
    CPU for a row nothing else in the request changes."""
    (number,) = issue(session, 1, issued_by=actor.username)
    now = datetime.now(UTC)
    values = {
        "idcs": number,
        **record,
        "given_key": keys.given,
        "family_key": keys.family,
        "father_key": keys.father,
        "status": "active",
        "version": 1,
        "created_by": actor.username,
        "created_at": now,
        "updated_by": actor.username,
        "updated_at": now,
    }
    person_id: int = session.connection().execute(_INSERT_PERSON, values).scalar_one()
    return Created(person_id, PersonOut.model_validate({**values, "death_date": None}))


_PERSON = table_of(Person)
_REGISTRATION = table_of(Registration)
_INSERT_PERSON = insert(_PERSON).returning(_PERSON.c.id)
_INSERT_REGISTRATION = insert(_REGISTRATION).returning(_REGISTRATION.c.id)


def register_person(*, session: Session, actor: Actor, data: PersonIn, today: date | None = None) -> RegistrationOut:
    """Issue an IDCS, or hold the registration for review when likely duplicates exist."""
    actor.require(Permission.PERSON_WRITE)
    day = today or date.today()
    record = checked_record(session, actor, data.model_dump(), day)
    keys = NameKeys.of(record)
    warnings = person_warnings(session, record, keys.given, day)
    candidates = [c for c in find_candidates(session, record, keys) if c.strong]
    # Without candidates the person is written first, so the registration is inserted once,
    # already pointing at it.
    created = None if candidates else create_person(session, actor, record, keys)
    submitted_at = datetime.now(UTC)
    registration = {
        "annex_code": record["annex_code"],
        "submitted": json.dumps(record, default=_json_default, ensure_ascii=False, sort_keys=True),
        "submitted_by": actor.username,
        "submitted_at": submitted_at,
        "status": "pending_review" if candidates else "issued",
        "person_id": None if created is None else created.id,
    }
    connection = session.connection()
    registration_id: int = connection.execute(_INSERT_REGISTRATION, registration).scalar_one()
    answer = RegistrationOut(
        registration_id=registration_id,
        status=registration["status"],
        annex_code=registration["annex_code"],
        submitted_by=actor.username,
        submitted_at=submitted_at,
        person=None if created is None else created.person,
        warnings=warnings,
    )
    if candidates:
        connection.execute(
            insert(RegistrationCandidate),
            [
                {
                    "registration_id": registration_id,
                    "person_id": candidate.person.id,
                    "score": candidate.score,
                    "reasons": json.dumps(candidate.reasons, sort_keys=True),
                }
                for candidate in candidates
            ],
        )
        audit.record(
            session,
            actor,
            "registration.held",
            "registration",
            str(registration_id),
            answer.annex_code,
            {"candidates": len(candidates)},
        )
        return answer
    assert created is not None  # no candidates: created above
    audit.record(
        session,
        actor,
        "person.register",
        "person",
        created.person.idcs,
        created.person.annex_code,
        {"registration": registration_id, "warnings": [w["rule"] for w in warnings]},
    )
    return answer


def _out(
    registration: Registration,
    person: PersonOut | None,
    candidates: list[Candidate],
    with_submission: bool = False,
    warnings: list[dict[str, Any]] | None = None,
) -> RegistrationOut:
    return RegistrationOut(
        registration_id=registration.id,
        status=registration.status,
        annex_code=registration.annex_code,
        submitted_by=registration.submitted_by,
        submitted_at=registration.submitted_at,
        person=person,
        candidates=[
            CandidateOut(person=PersonOut.model_validate(c.person), score=c.score, reasons=c.reasons)
            for c in candidates
        ],
        submitted=json.loads(registration.submitted) if with_submission else None,
        decided_by=registration.decided_by,
        decision_note=registration.decision_note,
        warnings=warnings or [],
    )


def _scoped_registration(session: Session, actor: Actor, registration_id: int, lock: bool = False) -> Registration:
    query = select(Registration).where(Registration.id == registration_id, in_scope(actor, Registration.annex_code))
    if lock:
        query = query.with_for_update()
    registration = session.execute(query).scalar_one_or_none()
    if registration is None:
        raise NotFoundError("registration", str(registration_id))
    return registration


def _stored_candidates(session: Session, registration_id: int) -> list[Candidate]:
    rows = session.execute(
        select(RegistrationCandidate, Person)
        .join(Person, Person.id == RegistrationCandidate.person_id)
        .where(RegistrationCandidate.registration_id == registration_id)
        .order_by(RegistrationCandidate.score.desc())
    )
    return [Candidate(person=p, score=rc.score, reasons=json.loads(rc.reasons)) for rc, p in rows]


def show_registration(*, session: Session, actor: Actor, registration_id: int) -> RegistrationOut:
    """A registration; reviewers also see what was typed and the candidates side by side (audited)."""
    registration = _scoped_registration(session, actor, registration_id)
    reviewer = actor.can(Permission.DUPLICATE_REVIEW)
    if not reviewer and registration.submitted_by != actor.username:
        actor.require(Permission.PERSON_READ)
    candidates = _stored_candidates(session, registration_id) if reviewer else []
    person = session.get(Person, registration.person_id) if registration.person_id else None
    person_out = None if person is None else PersonOut.model_validate(person)
    if candidates:
        # Candidates may live outside the reviewer's territory: deciding needs them, so each view is traced.
        audit.record(
            session,
            actor,
            "registration.review_view",
            "registration",
            str(registration_id),
            registration.annex_code,
            {"candidates": [c.person.idcs for c in candidates]},
        )
    return _out(
        registration, person_out, candidates, with_submission=reviewer or registration.submitted_by == actor.username
    )


def review_queue(*, session: Session, actor: Actor, limit: int = 50, offset: int = 0) -> list[RegistrationOut]:
    actor.require(Permission.DUPLICATE_REVIEW)
    rows = session.execute(
        select(Registration)
        .where(Registration.status == "pending_review", in_scope(actor, Registration.annex_code))
        .order_by(Registration.submitted_at, Registration.id)
        .limit(limit)
        .offset(offset)
    ).scalars()
    return [_out(r, None, []) for r in rows]


def decide(*, session: Session, actor: Actor, registration_id: int, data: DecisionIn) -> RegistrationOut:
    """A reviewer's decision: the same person as a candidate (no new IDCS) or a different one (issued)."""
    actor.require(Permission.DUPLICATE_REVIEW)
    registration = _scoped_registration(session, actor, registration_id, lock=True)
    if registration.status != "pending_review":
        raise SijillError(
            code="registration_already_decided",
            status=409,
            field="registration_id",
            value=registration_id,
            message=Text(
                "تم البت في هذا الطلب من قبل",
                "Cette demande a déjà été tranchée",
                f"registration already decided ({registration.status})",
            ),
            fix=Text("حدثوا الصفحة لرؤية القرار", "Actualisez pour voir la décision", "reload to see the decision"),
        )
    if registration.submitted_by == actor.username:
        raise SijillError(
            code="reviewer_is_registrant",
            status=403,
            message=Text(
                "لا يمكن للعون الذي سجل الطلب أن يبت فيه",
                "L'agent qui a saisi la demande ne peut pas la trancher",
                "the registering agent cannot decide their own registration",
            ),
            fix=Text("يبت فيه مراجع آخر", "Un autre réviseur doit décider", "another reviewer must decide"),
        )
    candidates = {c.person.idcs: c for c in _stored_candidates(session, registration_id)}
    record = json.loads(registration.submitted)
    if data.decision == "same_person":
        chosen = candidates.get(data.person_idcs or "")
        if chosen is None:
            raise SijillError(
                code="not_a_candidate",
                field="person_idcs",
                value=data.person_idcs,
                status=422,
                message=Text(
                    "الشخص المختار ليس من المرشحين لهذا الطلب",
                    "La personne choisie n'est pas un candidat de cette demande",
                    "the chosen person is not a candidate of this registration",
                ),
                fix=Text(
                    "اختاروا رقما من لائحة المرشحين",
                    "Choisissez un IDCS de la liste des candidats",
                    "choose an IDCS from the candidate list",
                ),
            )
        person = chosen.person
        assert isinstance(person, Person)  # stored candidates are loaded as whole records
        registration.status = "same_person"
        person_id, chosen_out = person.id, PersonOut.model_validate(person)
    else:
        record["birth_date"] = date.fromisoformat(record["birth_date"]) if record.get("birth_date") else None
        person_id, chosen_out = create_person(session, actor, record, NameKeys.of(record))
        registration.status = "different"
    registration.person_id = person_id
    registration.decided_by = actor.username
    registration.decided_at = datetime.now(UTC)
    registration.decision_note = data.note
    audit.record(
        session,
        actor,
        f"registration.{registration.status}",
        "registration",
        str(registration.id),
        registration.annex_code,
        {"idcs": chosen_out.idcs},
    )
    return _out(registration, chosen_out, [])
