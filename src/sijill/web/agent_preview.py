"""The "live index": what a form's answers would score, computed by the same compiled model and
the same checks as a declaration, writing nothing. And the explanation of an index as lines a
person reads: each question, its answer and what it adds to or takes from the index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.errors import Text
from sijill.scoring.answer_checks import check_form, invalid_declaration
from sijill.scoring.compiled import Explanation
from sijill.scoring.questionnaire import Questionnaire
from sijill.social_registry.members import resolve_members
from sijill.social_registry.schemas import DeclarationIn, ExplanationOut
from sijill.social_registry.scores import compiled_models, explain_variables, model_for, thresholds
from sijill.web.agent_household_form import shown_value
from sijill.web.i18n import pick


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    contribution: float

    def __post_init__(self) -> None:
        # Shown to four places: a tiny negative would read "-0.0000".
        object.__setattr__(self, "contribution", round(self.contribution, 4) + 0.0)


@dataclass(frozen=True)
class Standing:
    programme: str
    threshold: float
    within: bool


@dataclass(frozen=True)
class ExplainedIndex:
    model: str
    score: float
    intercept: float
    regional: float
    lines: list[Line]
    standings: list[Standing]


def standings(language: str, score: float) -> list[Standing]:
    return [Standing(pick(language, t.name), t.at_most, score <= t.at_most) for t in thresholds()]


def _ordered(lines: list[Line]) -> list[Line]:
    # What weighs most first: the agent reads why an index is high or low at a glance.
    return sorted(lines, key=lambda line: -abs(line.contribution))


def explained(language: str, model: str, explanation: Explanation, questionnaire: Questionnaire) -> ExplainedIndex:
    questions = questionnaire.variables
    lines = [
        Line(
            pick(language, questions[c.variable].label),
            shown_value(language, questions.get(c.variable), c.value),
            c.contribution,
        )
        for c in explanation.contributions
    ]
    return ExplainedIndex(
        model,
        explanation.score,
        explanation.intercept,
        explanation.regional,
        _ordered(lines),
        standings(language, explanation.score),
    )


def explained_out(language: str, out: ExplanationOut, effective: float) -> ExplainedIndex:
    """The stored index's explanation (social_registry.queries.explain_score) as lines; the
    standings follow the effective index, which a reviewer may have corrected."""
    questionnaire = compiled_models()[out.model].model.questionnaire
    lines = [
        Line(
            out_label(language, c.label_ar, c.label_fr),
            shown_value(language, questionnaire.variables.get(c.variable), c.value),
            c.contribution,
        )
        for c in out.contributions
    ]
    return ExplainedIndex(
        out.model, out.score, out.intercept, out.regional, _ordered(lines), standings(language, effective)
    )


def out_label(language: str, label_ar: str, label_fr: str) -> str:
    return pick(language, Text(label_ar, label_fr, label_fr))


def preview_index(
    session: Session,
    actor: Actor,
    data: DeclarationIn,
    *,
    milieu: str,
    annex_code: str,
    household_id: int | None,
    language: str,
    today: date | None = None,
) -> ExplainedIndex:
    """The index these answers would get if declared now; every problem of the form is raised
    as a declaration would raise it (one 422 listing them), and nothing is written."""
    actor.require(Permission.HOUSEHOLD_WRITE)
    day = data.declared_on or today or date.today()
    model = model_for(day)
    members, problems = resolve_members(session, actor, data, day, household_id)
    rows: list[dict[str, Any]] = [
        {"is_declarant": m.person.idcs == data.declarant_idcs, "sex": m.person.sex, "age": m.age, **m.answers}
        for m in members
    ]
    variables = None
    if not problems:
        problems, variables = check_form(dict(data.answers), rows, milieu, model.questionnaire)
    if problems or variables is None:
        raise invalid_declaration(problems)
    explanation = explain_variables(compiled_models()[model.ref], milieu, annex_code, variables)
    return explained(language, model.ref, explanation, model.questionnaire)
