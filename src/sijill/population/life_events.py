"""Life events of a register record: death, identity corrections with history, merge and its revert.

Every change checks the version the caller saw (optimistic concurrency): a stale edit gets 409
with the current version instead of silently overwriting someone else's work.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission, Role
from sijill.access.scope import in_scope
from sijill.errors import ForbiddenError, NotFoundError, SijillError, Text, invalid
from sijill.population.candidates import NameKeys
from sijill.population.checks import REGISTER_FIELDS, checked_record
from sijill.population.models import Person, PersonCorrection, PersonMerge, Registration

CORRECTABLE = frozenset(REGISTER_FIELDS) - {"annex_code"}


def scoped_person(session: Session, actor: Actor, idcs: str, *, lock: bool = False) -> Person:
    query = select(Person).where(Person.idcs == idcs, in_scope(actor, Person.annex_code))
    if lock:
        query = query.with_for_update()
    person = session.execute(query).scalar_one_or_none()
    if person is None:
        raise NotFoundError("person", idcs)
    return person


def _check_version(person: Person, expected: int) -> None:
    if person.version != expected:
        raise SijillError(
            code="version_conflict",
            status=409,
            field="version",
            value=expected,
            message=Text(
                ar=f"عدل شخص آخر هذه البطاقة؛ النسخة الحالية {person.version}",
                fr=f"Quelqu'un d'autre a modifié cette fiche ; version actuelle {person.version}",
                en=f"record changed since it was read; current version is {person.version}",
            ),
            fix=Text(
                "أعيدوا قراءة البطاقة ثم طبقوا التعديل",
                "Relisez la fiche puis refaites la modification",
                "reload the record and apply the change again",
            ),
            details=[{"current_version": person.version}],
        )


def _require_active(person: Person) -> None:
    if person.status == "merged":
        raise SijillError(
            code="person_merged",
            status=409,
            field="idcs",
            value=person.idcs,
            message=Text(
                "هذه البطاقة مدمجة في بطاقة أخرى",
                "Cette fiche a été fusionnée dans une autre",
                "record was merged into another",
            ),
            fix=Text(
                "اعملوا على البطاقة الباقية", "Travaillez sur la fiche survivante", "work on the surviving record"
            ),
        )


def record_death(
    *, session: Session, actor: Actor, idcs: str, death_date: date, version: int, today: date | None = None
) -> Person:
    actor.require(Permission.PERSON_WRITE)
    person = scoped_person(session, actor, idcs, lock=True)
    _check_version(person, version)
    _require_active(person)
    if person.status == "deceased":
        raise SijillError(
            code="already_deceased",
            status=409,
            field="idcs",
            value=idcs,
            message=Text("الوفاة مسجلة من قبل", "Le décès est déjà enregistré", "death already recorded"),
        )
    earliest = person.birth_date or date(person.birth_year, 1, 1)
    if not earliest <= death_date <= (today or date.today()):
        raise invalid(
            "death_date",
            death_date.isoformat(),
            Text(
                "تاريخ الوفاة يجب أن يكون بين الولادة واليوم",
                "la date de décès doit être entre la naissance et aujourd'hui",
                "death date must lie between birth and today",
            ),
            Text("صححوا التاريخ", "Corrigez la date", "fix the date"),
        )
    person.status = "deceased"
    person.death_date = death_date
    _touch(person, actor)
    session.flush()
    audit.record(session, actor, "person.death", "person", idcs, person.annex_code, {"version": person.version})
    return person


def correct_person(
    *,
    session: Session,
    actor: Actor,
    idcs: str,
    changes: dict[str, Any],
    reason: str,
    version: int,
    today: date | None = None,
) -> Person:
    """Change identity fields; each changed field is kept in the history with old and new values."""
    actor.require(Permission.PERSON_WRITE)
    unknown = sorted(set(changes) - CORRECTABLE)
    if unknown:
        raise invalid(
            "changes",
            ", ".join(unknown),
            Text("حقول لا تصحح بهذه الطريقة", "champs non corrigeables ainsi", "fields cannot be corrected"),
            Text(
                "الحقول الممكنة: " + ", ".join(sorted(CORRECTABLE)),
                "Champs possibles : " + ", ".join(sorted(CORRECTABLE)),
                "correctable fields: " + ", ".join(sorted(CORRECTABLE)),
            ),
        )
    person = scoped_person(session, actor, idcs, lock=True)
    _check_version(person, version)
    _require_active(person)
    current = {name: getattr(person, name) for name in REGISTER_FIELDS}
    if isinstance(changes.get("birth_date"), str):
        changes = {**changes, "birth_date": date.fromisoformat(changes["birth_date"])}
    record = checked_record(session, actor, {**current, **changes}, today or date.today())
    changed = {name: (current[name], record[name]) for name in REGISTER_FIELDS if record[name] != current[name]}
    if not changed:
        return person
    for name, (_, new) in changed.items():
        setattr(person, name, new)
    keys = NameKeys.of(record)
    person.given_key, person.family_key, person.father_key = keys.given, keys.family, keys.father
    _touch(person, actor)
    session.flush()
    now = datetime.now(UTC)
    for name, (old, new) in changed.items():
        session.add(
            PersonCorrection(
                person_id=person.id,
                field=name,
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
                reason=reason,
                corrected_by=actor.username,
                corrected_at=now,
                version_after=person.version,
            )
        )
    audit.record(
        session,
        actor,
        "person.correct",
        "person",
        idcs,
        person.annex_code,
        {"fields": sorted(changed), "version": person.version},
    )
    return person


def corrections(*, session: Session, actor: Actor, idcs: str) -> list[PersonCorrection]:
    actor.require(Permission.PERSON_READ)
    person = scoped_person(session, actor, idcs)
    rows = (
        session.execute(
            select(PersonCorrection).where(PersonCorrection.person_id == person.id).order_by(PersonCorrection.id)
        )
        .scalars()
        .all()
    )
    audit.record(session, actor, "person.history", "person", idcs, person.annex_code)
    return list(rows)


def merge_persons(*, session: Session, actor: Actor, survivor_idcs: str, merged_idcs: str, reason: str) -> PersonMerge:
    """Two records of one person: the merged one points to the survivor and its references move."""
    actor.require(Permission.DUPLICATE_REVIEW)
    if survivor_idcs == merged_idcs:
        raise invalid(
            "merged_idcs",
            merged_idcs,
            Text(
                "لا يمكن دمج البطاقة في نفسها",
                "une fiche ne fusionne pas avec elle-même",
                "a record cannot be merged into itself",
            ),
            Text("اختاروا بطاقتين مختلفتين", "Choisissez deux fiches différentes", "choose two records"),
        )
    survivor = scoped_person(session, actor, survivor_idcs, lock=True)
    merged = scoped_person(session, actor, merged_idcs, lock=True)
    _require_active(survivor)
    _require_active(merged)
    moved = list(session.execute(select(Registration.id).where(Registration.person_id == merged.id)).scalars())
    if moved:
        session.execute(update(Registration).where(Registration.id.in_(moved)).values(person_id=survivor.id))
    merge = PersonMerge(
        survivor_id=survivor.id,
        merged_id=merged.id,
        reason=reason,
        merged_by=actor.username,
        merged_at=datetime.now(UTC),
        previous_status=merged.status,
        moved_registrations=json.dumps(moved),
    )
    merged.status = "merged"
    merged.merged_into_id = survivor.id
    _touch(merged, actor)
    session.add(merge)
    session.flush()
    audit.record(
        session,
        actor,
        "person.merge",
        "person",
        merged_idcs,
        merged.annex_code,
        {"survivor": survivor_idcs, "merge": merge.id, "moved_registrations": len(moved)},
    )
    return merge


def revert_merge(*, session: Session, actor: Actor, merge_id: int, reason: str) -> PersonMerge:
    """Undo a merge (admins only): the record is restored and its references go back."""
    if actor.role is not Role.ADMIN:
        raise ForbiddenError("merge:revert")
    merge = session.execute(
        select(PersonMerge).where(PersonMerge.id == merge_id).with_for_update()
    ).scalar_one_or_none()
    if merge is None:
        raise NotFoundError("merge", str(merge_id))
    if merge.reverted_at is not None:
        raise SijillError(
            code="merge_already_reverted",
            status=409,
            field="merge_id",
            value=merge_id,
            message=Text("تم التراجع عن هذا الدمج من قبل", "Cette fusion a déjà été annulée", "merge already reverted"),
        )
    merged = session.get(Person, merge.merged_id, with_for_update=True)
    assert merged is not None
    merged.status = merge.previous_status
    merged.merged_into_id = None
    _touch(merged, actor)
    moved = json.loads(merge.moved_registrations)
    if moved:
        session.execute(update(Registration).where(Registration.id.in_(moved)).values(person_id=merged.id))
    merge.reverted_by = actor.username
    merge.reverted_at = datetime.now(UTC)
    session.flush()
    audit.record(
        session,
        actor,
        "person.merge_revert",
        "person",
        merged.idcs,
        merged.annex_code,
        {"merge": merge.id, "reason": reason},
    )
    return merge


def _touch(person: Person, actor: Actor) -> None:
    person.updated_by = actor.username
    person.updated_at = datetime.now(UTC)
