"""Index scores of declarations: calculated by the model in force, corrected by an authorised role,
and an event for notification whenever a household's index crosses a programme threshold."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.scoring.compiled import MILIEU, REGION, CompiledModel, Explanation
from sijill.scoring.derive import as_model_input
from sijill.scoring.model import IndexModel, model_in_force, shipped_models
from sijill.scoring.thresholds import Threshold, index_thresholds
from sijill.social_registry.models import Declaration, IndexScore, ScoreCorrection, ScoreEvent


@cache
def compiled_models() -> dict[str, CompiledModel]:
    """Every shipped model, compiled once per process (the rule files are read at first use)."""
    return {ref: CompiledModel(model) for ref, model in shipped_models().items()}


@cache
def thresholds() -> tuple[Threshold, ...]:
    return tuple(index_thresholds())


def model_for(day: date) -> IndexModel:
    """The model in force on `day`, from the models loaded once per process: reading and checking
    the rule files takes ~70 ms, which a declaration at the counter must not pay each time."""
    return model_in_force({ref: c.model for ref, c in compiled_models().items()}, day)


def explain_variables(compiled: CompiledModel, milieu: str, annex_code: str, variables: dict[str, Any]) -> Explanation:
    questionnaire = compiled.model.questionnaire
    row = {MILIEU: milieu, REGION: annex_code[:2], **variables}
    frame = pl.DataFrame([row], infer_schema_length=None)
    frame = as_model_input(frame, questionnaire).with_columns(pl.col(REGION).cast(compiled.region_dtype))
    return compiled.explain(frame)


def effective_score(session: Session, score: IndexScore) -> tuple[float, ScoreCorrection | None]:
    """The corrected score when there is one (the latest), otherwise the calculated one."""
    correction = session.execute(
        select(ScoreCorrection)
        .where(ScoreCorrection.index_score_id == score.id)
        .order_by(ScoreCorrection.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return (correction.corrected_score if correction else score.score), correction


def current_score(session: Session, household_id: int) -> IndexScore | None:
    """The score of the household's latest declaration, by the latest model that scored it."""
    return session.execute(
        select(IndexScore)
        .join(Declaration, Declaration.id == IndexScore.declaration_id)
        .where(Declaration.household_id == household_id)
        .order_by(Declaration.number.desc(), IndexScore.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def threshold_events(
    household_id: int, previous: float | None, new: float, cause: str, now: datetime
) -> list[ScoreEvent]:
    """One event per programme whose threshold lies between the old and the new index."""
    events = []
    for threshold in thresholds():
        was = previous is not None and previous <= threshold.at_most
        now_within = new <= threshold.at_most
        if was == now_within:
            continue
        events.append(
            ScoreEvent(
                household_id=household_id,
                programme=threshold.programme,
                threshold=threshold.at_most,
                previous_score=previous,
                new_score=new,
                direction="entered" if now_within else "left",
                cause=cause,
                created_at=now,
            )
        )
    return events


def score_declaration(
    session: Session,
    declaration: Declaration,
    variables: dict[str, Any],
    milieu: str,
    annex_code: str,
    by: str,
    previous: float | None,
) -> IndexScore:
    """Calculate, store, and emit threshold events against the household's previous index."""
    model = model_for(declaration.declared_on)
    explanation = explain_variables(compiled_models()[model.ref], milieu, annex_code, variables)
    now = datetime.now(UTC)
    score = IndexScore(
        declaration_id=declaration.id,
        model=model.ref,
        score=round(explanation.score, 7),
        calculated_at=now,
        calculated_by=by,
    )
    session.add(score)
    session.add_all(threshold_events(declaration.household_id, previous, score.score, "declaration", now))
    return score
