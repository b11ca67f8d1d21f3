"""Index models (rule files): which versions exist, when they are in force, their terms."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from sijill.api.deps import CurrentActor
from sijill.scoring.model import IndexModel, find_model, shipped_models

router = APIRouter(prefix="/models", tags=["index models"])


class TermOut(BaseModel):
    variable: str
    term: str
    coefficient: float | None
    coefficients: dict[str, float] | None


class SubmodelOut(BaseModel):
    intercept: float
    regional: dict[str, float]
    terms: list[TermOut]


class ModelOut(BaseModel):
    ref: str
    effective_from: date
    effective_to: date | None
    status: str
    source: str
    questionnaire: str
    submodels: dict[str, SubmodelOut] | None = None


def _out(model: IndexModel, *, with_terms: bool) -> ModelOut:
    submodels = None
    if with_terms:
        submodels = {
            milieu: SubmodelOut(
                intercept=sub.intercept,
                regional=sub.regional,
                terms=[
                    TermOut(variable=t.variable, term=t.label, coefficient=t.coefficient, coefficients=t.coefficients)
                    for t in sub.terms
                ],
            )
            for milieu, sub in model.submodels.items()
        }
    return ModelOut(
        ref=model.ref,
        effective_from=model.effective_from,
        effective_to=model.effective_to,
        status=model.status,
        source=model.source,
        questionnaire=model.questionnaire.ref,
        submodels=submodels,
    )


@router.get("")
def list_models(_actor: CurrentActor) -> list[ModelOut]:
    """Every model version, oldest first; a policy is public, so any signed-in user may read it."""
    models = sorted(shipped_models().values(), key=lambda m: (m.id, m.effective_from))
    return [_out(m, with_terms=False) for m in models]


@router.get("/{ref}")
def get_model(ref: str, _actor: CurrentActor) -> ModelOut:
    """One version (`rsu-index@2026.1` or `2026.1`) with its coefficients."""
    return _out(find_model(shipped_models(), ref), with_terms=True)
