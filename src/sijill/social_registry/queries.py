"""Reads of the social registry, scoped to the actor's territory in the query and audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.errors import NotFoundError
from sijill.population.models import Person
from sijill.social_registry.models import (
    Declaration,
    DeclarationForm,
    DeclarationMember,
    Household,
    IndexScore,
    ScoreCorrection,
    ScoreEvent,
)
from sijill.social_registry.schemas import (
    ContributionOut,
    CorrectionOut,
    DeclarationOut,
    ExplanationOut,
    HistoryOut,
    HouseholdOut,
    MemberOut,
    ProgrammeStanding,
    ScoreEventOut,
    ScoreHistoryItem,
    ScoreOut,
)
from sijill.social_registry.scores import (
    compiled_models,
    current_score,
    effective_score,
    explain_variables,
    thresholds,
)
from sijill.social_registry.service import scoped_household


def _declaration_out(session: Session, declaration: Declaration) -> DeclarationOut:
    rows = session.execute(
        select(DeclarationMember, Person.idcs)
        .join(Person, Person.id == DeclarationMember.person_id)
        .where(DeclarationMember.declaration_id == declaration.id)
        .order_by(DeclarationMember.age.desc())
    ).all()
    declarant = session.get(Person, declaration.declarant_person_id)
    form = session.get(DeclarationForm, declaration.id)
    assert declarant is not None and form is not None
    return DeclarationOut(
        number=declaration.number,
        declared_on=declaration.declared_on,
        declared_by=declaration.declared_by,
        channel=declaration.channel,
        questionnaire=declaration.questionnaire,
        declarant_idcs=declarant.idcs,
        answers=form.answers,
        variables=form.variables,
        members=[
            MemberOut(
                idcs=idcs,
                relationship=m.relationship,
                age=m.age,
                education=m.education,
                in_school=m.in_school,
                occupation=m.occupation,
                disability=m.disability,
                marital_status=m.marital_status,
            )
            for m, idcs in rows
        ],
    )


def _score_out(session: Session, score: IndexScore) -> ScoreOut:
    effective, correction = effective_score(session, score)
    declaration = session.get(Declaration, score.declaration_id)
    assert declaration is not None
    return ScoreOut(
        model=score.model,
        declaration_number=declaration.number,
        calculated=score.score,
        corrected=correction.corrected_score if correction else None,
        correction_reason=correction.reason if correction else None,
        effective=effective,
        calculated_at=score.calculated_at,
        programmes=[
            ProgrammeStanding(programme=t.programme, threshold=t.at_most, within=effective <= t.at_most)
            for t in thresholds()
        ],
    )


def _latest_declaration(session: Session, household: Household) -> Declaration:
    declaration = session.execute(
        select(Declaration).where(Declaration.household_id == household.id).order_by(Declaration.number.desc()).limit(1)
    ).scalar_one()
    return declaration


def read_household(session: Session, actor: Actor, number: str) -> HouseholdOut:
    actor.require(Permission.HOUSEHOLD_READ)
    household = scoped_household(session, actor, number)
    score = current_score(session, household.id)
    audit.record(session, actor, "household.read", "household", household.number, household.annex_code)
    return HouseholdOut(
        number=household.number,
        annex_code=household.annex_code,
        milieu=household.milieu,
        address=household.address,
        status=household.status,
        version=household.version,
        declaration=_declaration_out(session, _latest_declaration(session, household)),
        score=_score_out(session, score) if score else None,
    )


def household_history(session: Session, actor: Actor, number: str) -> HistoryOut:
    """Every declaration version, every calculated score and every correction."""
    actor.require(Permission.HOUSEHOLD_READ)
    household = scoped_household(session, actor, number)
    declarations = session.execute(
        select(Declaration).where(Declaration.household_id == household.id).order_by(Declaration.number)
    ).scalars()
    numbers = {}
    declared = []
    for declaration in declarations:
        numbers[declaration.id] = declaration.number
        declared.append(_declaration_out(session, declaration))
    scores = []
    for score in session.execute(
        select(IndexScore)
        .join(Declaration, Declaration.id == IndexScore.declaration_id)
        .where(Declaration.household_id == household.id)
        .order_by(IndexScore.id)
    ).scalars():
        corrections = session.execute(
            select(ScoreCorrection).where(ScoreCorrection.index_score_id == score.id).order_by(ScoreCorrection.id)
        ).scalars()
        scores.append(
            ScoreHistoryItem(
                declaration_number=numbers[score.declaration_id],
                model=score.model,
                calculated=score.score,
                calculated_at=score.calculated_at,
                corrections=[
                    CorrectionOut(
                        corrected_score=c.corrected_score,
                        reason=c.reason,
                        corrected_by=c.corrected_by,
                        corrected_at=c.corrected_at,
                    )
                    for c in corrections
                ],
            )
        )
    audit.record(session, actor, "household.history", "household", household.number, household.annex_code)
    return HistoryOut(number=household.number, declarations=declared, scores=scores)


def explain_score(session: Session, actor: Actor, number: str) -> ExplanationOut:
    """The current index and each variable's contribution to it, recomputed by the same compiled model."""
    actor.require(Permission.HOUSEHOLD_READ)
    household = scoped_household(session, actor, number)
    score = current_score(session, household.id)
    if score is None:
        raise NotFoundError("index_score", number)
    form = session.get(DeclarationForm, score.declaration_id)
    assert form is not None
    compiled = compiled_models()[score.model]
    questions = compiled.model.questionnaire.variables
    explanation = explain_variables(compiled, household.milieu, household.annex_code, form.variables)
    audit.record(session, actor, "household.explain", "household", household.number, household.annex_code)
    return ExplanationOut(
        model=score.model,
        score=explanation.score,
        intercept=explanation.intercept,
        regional=explanation.regional,
        contributions=[
            ContributionOut(
                variable=c.variable,
                label_ar=questions[c.variable].label.ar,
                label_fr=questions[c.variable].label.fr,
                term=c.term,
                value=c.value,
                contribution=c.contribution,
            )
            for c in explanation.contributions
        ],
    )


def household_events(session: Session, actor: Actor, number: str) -> list[ScoreEventOut]:
    """Every threshold crossing of the household's index, oldest first."""
    actor.require(Permission.HOUSEHOLD_READ)
    household = scoped_household(session, actor, number)
    events = session.execute(
        select(ScoreEvent).where(ScoreEvent.household_id == household.id).order_by(ScoreEvent.id)
    ).scalars()
    audit.record(session, actor, "household.events", "household", household.number, household.annex_code)
    return [
        ScoreEventOut(
            programme=e.programme,
            threshold=e.threshold,
            previous_score=e.previous_score,
            new_score=e.new_score,
            direction=e.direction,
            cause=e.cause,
            created_at=e.created_at,
            notified_at=e.notified_at,
        )
        for e in events
    ]
