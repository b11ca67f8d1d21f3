"""Writes of the social registry: declare a household, declare an update, correct an index.

Each is one transaction: the form is checked whole (members against the register, answers against
the questionnaire) and either everything is written, with its score and audit trace, or nothing is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import code_in_scope, in_scope
from sijill.errors import NotFoundError, SijillError, Text, invalid
from sijill.scoring.answer_checks import check_form, invalid_declaration
from sijill.scoring.packed import pack_one
from sijill.social_registry.members import ResolvedMember, resolve_members
from sijill.social_registry.models import (
    Declaration,
    DeclarationForm,
    DeclarationMember,
    Household,
    HouseholdMember,
    ScoreCorrection,
    household_id_of,
)
from sijill.social_registry.schemas import CorrectionIn, DeclarationIn, DeclarationUpdateIn, HouseholdIn
from sijill.social_registry.scores import (
    current_score,
    effective_score,
    model_for,
    score_declaration,
    threshold_events,
)
from sijill.territory.models import TerritoryUnit


def _annex(session: Session, actor: Actor, code: str) -> TerritoryUnit:
    unit = session.get(TerritoryUnit, code)
    if unit is None or not code_in_scope(actor, code):
        raise NotFoundError("annex", code)
    if unit.level != "annex" or unit.milieu not in ("urban", "rural"):
        raise invalid(
            "annex_code",
            code,
            Text(
                "الأسرة تسجل في ملحقة إدارية أو قيادة",
                "un ménage s'inscrit dans une annexe ou un caïdat",
                "a household is registered in an annex or caïdat",
            ),
            Text(
                "اختاروا رمز ملحقة أو قيادة",
                "choisissez le code d'une annexe ou d'un caïdat",
                "pick an annex or caïdat code",
            ),
        )
    return unit


def _checked(
    session: Session, actor: Actor, data: DeclarationIn, milieu: str, day: date, household_id: int | None
) -> tuple[list[ResolvedMember], dict[str, Any]]:
    """Members and computed variables of a valid form; otherwise one 422 listing every problem."""
    questionnaire = model_for(day).questionnaire
    members, problems = resolve_members(session, actor, data, day, household_id)
    member_rows = [
        {"is_declarant": m.person.idcs == data.declarant_idcs, "sex": m.person.sex, "age": m.age, **m.answers}
        for m in members
    ]
    variables = None
    if not problems:
        problems, variables = check_form(dict(data.answers), member_rows, milieu, questionnaire)
    if problems or variables is None:
        raise invalid_declaration(problems)
    return members, variables


def _declaration_day(data: DeclarationIn, today: date | None) -> date:
    day = data.declared_on or today or date.today()
    if day > (today or date.today()):
        raise invalid(
            "declared_on",
            str(day),
            Text("تاريخ في المستقبل", "date dans le futur", "date in the future"),
            Text(
                "استعملوا تاريخ اليوم أو تاريخا سابقا",
                "utilisez aujourd'hui ou une date passée",
                "use today or an earlier date",
            ),
        )
    return day


def _write_declaration(
    session: Session,
    actor: Actor,
    household: Household,
    number: int,
    data: DeclarationIn,
    day: date,
    members: list[ResolvedMember],
    variables: dict[str, Any],
) -> Declaration:
    declarant = next(m for m in members if m.person.idcs == data.declarant_idcs)
    questionnaire = model_for(day).questionnaire
    declaration = Declaration(
        household_id=household.id,
        number=number,
        declared_on=day,
        declarant_person_id=declarant.person.id,
        channel=data.channel,
        questionnaire=questionnaire.ref,
        declared_by=actor.username,
        recorded_at=datetime.now(UTC),
    )
    session.add(declaration)
    session.flush()
    session.add(
        DeclarationForm(
            declaration_id=declaration.id,
            answers=dict(data.answers),
            variables=variables,
            packed_variables=pack_one(variables, household.milieu, questionnaire),
        )
    )
    session.add_all(
        DeclarationMember(declaration_id=declaration.id, person_id=m.person.id, age=m.age, **m.answers) for m in members
    )
    return declaration


def _flush_memberships(session: Session) -> None:
    """The database has the last word on "one active household per person" under concurrency."""
    try:
        session.flush()
    except IntegrityError:
        # The caller's transaction rolls back: nothing of the form is written.
        raise SijillError(
            code="member_in_other_household",
            status=409,
            message=Text(
                "أحد الأفراد سجل للتو في أسرة أخرى",
                "Un des membres vient d'être inscrit dans un autre ménage",
                "a member was just registered in another household",
            ),
            fix=Text("أعيدوا قراءة الأسرة ثم أعيدوا المحاولة", "Relisez puis réessayez", "reload and try again"),
        ) from None


def declare_household(*, session: Session, actor: Actor, data: HouseholdIn, today: date | None = None) -> Household:
    """Register a household with its first declaration, and score it with the model in force."""
    actor.require(Permission.HOUSEHOLD_WRITE)
    annex = _annex(session, actor, data.annex_code)
    day = _declaration_day(data, today)
    milieu = str(annex.milieu)
    members, variables = _checked(session, actor, data, milieu, day, None)
    now = datetime.now(UTC)
    household = Household(
        annex_code=annex.code,
        milieu=milieu,
        address=data.address,
        status="active",
        created_by=actor.username,
        created_at=now,
        updated_by=actor.username,
        updated_at=now,
    )
    session.add(household)
    session.flush()
    session.add_all(
        HouseholdMember(
            household_id=household.id, person_id=m.person.id, relationship=m.answers["relationship"], valid_from=day
        )
        for m in members
    )
    _flush_memberships(session)
    declaration = _write_declaration(session, actor, household, 1, data, day, members, variables)
    score = score_declaration(session, declaration, variables, milieu, annex.code, actor.username, None)
    audit.record(
        session,
        actor,
        "household.declare",
        "household",
        household.number,
        annex.code,
        {"members": len(members), "model": score.model},
    )
    session.flush()
    return household


def scoped_household(session: Session, actor: Actor, number: str, *, lock: bool = False) -> Household:
    household_id = household_id_of(number)
    if household_id is None:
        raise NotFoundError("household", number)
    query = select(Household).where(Household.id == household_id, in_scope(actor, Household.annex_code))
    if lock:
        query = query.with_for_update()
    household = session.execute(query).scalar_one_or_none()
    if household is None:
        raise NotFoundError("household", number)
    return household


def _version_conflict(household: Household) -> SijillError:
    return SijillError(
        code="version_conflict",
        status=409,
        field="version",
        value=household.version,
        message=Text(
            f"عدل شخص آخر هذه الأسرة؛ النسخة الحالية {household.version}",
            f"Quelqu'un d'autre a modifié ce ménage ; version actuelle {household.version}",
            f"household changed since it was read; current version is {household.version}",
        ),
        fix=Text(
            "أعيدوا قراءة الأسرة ثم أعيدوا التصريح",
            "Relisez le ménage puis refaites la déclaration",
            "reload the household and declare again",
        ),
    )


def update_declaration(
    *, session: Session, actor: Actor, number: str, data: DeclarationUpdateIn, today: date | None = None
) -> Household:
    """A new version of the declaration: members who left end their membership, newcomers start one."""
    actor.require(Permission.HOUSEHOLD_WRITE)
    household = scoped_household(session, actor, number, lock=True)
    if household.version != data.version:
        raise _version_conflict(household)
    day = _declaration_day(data, today)
    last = session.execute(
        select(func.max(Declaration.number), func.max(Declaration.declared_on)).where(
            Declaration.household_id == household.id
        )
    ).one()
    if day < last[1]:
        raise invalid(
            "declared_on",
            str(day),
            Text(
                f"قبل آخر تصريح ({last[1]})",
                f"antérieure à la dernière déclaration ({last[1]})",
                f"before the last declaration ({last[1]})",
            ),
            Text(
                "التصريح الجديد يؤرخ بعد السابق",
                "datez la déclaration après la précédente",
                "date it on or after the previous one",
            ),
        )
    members, variables = _checked(session, actor, data, household.milieu, day, household.id)
    current = {
        m.person_id: m
        for m in session.execute(
            select(HouseholdMember).where(
                HouseholdMember.household_id == household.id, HouseholdMember.valid_to.is_(None)
            )
        ).scalars()
    }
    staying = {m.person.id for m in members}
    for person_id, membership in current.items():
        if person_id not in staying:
            membership.valid_to = day
    session.flush()
    session.add_all(
        HouseholdMember(
            household_id=household.id, person_id=m.person.id, relationship=m.answers["relationship"], valid_from=day
        )
        for m in members
        if m.person.id not in current
    )
    _flush_memberships(session)
    previous_score = current_score(session, household.id)
    previous = effective_score(session, previous_score)[0] if previous_score else None
    if data.address is not None:
        household.address = data.address
    household.updated_by = actor.username
    household.updated_at = datetime.now(UTC)
    declaration = _write_declaration(session, actor, household, int(last[0]) + 1, data, day, members, variables)
    score = score_declaration(
        session, declaration, variables, household.milieu, household.annex_code, actor.username, previous
    )
    audit.record(
        session,
        actor,
        "household.update",
        "household",
        household.number,
        household.annex_code,
        {"declaration": declaration.number, "members": len(members), "model": score.model},
    )
    session.flush()
    return household


def correct_score(*, session: Session, actor: Actor, number: str, data: CorrectionIn) -> ScoreCorrection:
    """Override the current index with a reason; the calculated one stays in the history."""
    actor.require(Permission.SCORE_CORRECT)
    household = scoped_household(session, actor, number, lock=True)
    score = current_score(session, household.id)
    if score is None:
        raise NotFoundError("index_score", number)
    previous, _ = effective_score(session, score)
    now = datetime.now(UTC)
    correction = ScoreCorrection(
        index_score_id=score.id,
        corrected_score=data.score,
        reason=data.reason,
        corrected_by=actor.username,
        corrected_at=now,
    )
    session.add(correction)
    session.add_all(threshold_events(household.id, previous, data.score, "correction", now))
    audit.record(
        session,
        actor,
        "score.correct",
        "household",
        household.number,
        household.annex_code,
        {"model": score.model, "from": previous, "to": data.score},
    )
    session.flush()
    return correction
