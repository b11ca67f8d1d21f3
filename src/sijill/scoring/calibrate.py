"""Fit an index model on a household survey: log consumption per person on the variables.

Ordinary least squares, separately for urban and rural households, with one constant per region.
A categorical variable gets one coefficient per category, measured from its most common category
(which gets 0); so does the region. The result is a model document ready to be written as a new
file under `rules/index-models/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from sijill.errors import SijillError, Text
from sijill.scoring.compiled import term_value
from sijill.scoring.derive import as_model_input
from sijill.scoring.model import IndexModel, region_codes
from sijill.scoring.questionnaire import MILIEUS
from sijill.scoring.survey import TRUTH

MIN_ROWS_PER_COEFFICIENT = 5


@dataclass(frozen=True)
class Fit:
    milieu: str
    households: int
    r_squared: float
    document: dict[str, Any]
    empty_categories: list[str]


def _modal(frame: pl.DataFrame, column: str, categories: list[str]) -> str:
    counts = frame.get_column(column).cast(pl.String).value_counts(sort=True)
    present = [c for c in counts.get_column(column).to_list() if c in categories]
    return present[0] if present else categories[0]


def _fit_milieu(frame: pl.DataFrame, spec: IndexModel, milieu: str) -> Fit:
    questionnaire = spec.questionnaire
    submodel = spec.submodels[milieu]
    columns: list[pl.Expr] = []
    # (term index or None for the region, category or None) for each column of the design matrix.
    layout: list[tuple[int | None, str | None]] = []
    regions = region_codes()
    region_reference = _modal(frame, "region", regions)
    for code in regions:
        if code != region_reference:
            columns.append((pl.col("region").cast(pl.String) == code).cast(pl.Float64))
            layout.append((None, code))
    references: dict[int, str] = {}
    for index, term in enumerate(submodel.terms):
        question = questionnaire.variables[term.variable]
        if question.kind == "category":
            categories = list(question.categories)
            references[index] = _modal(frame, term.variable, categories)
            for category in categories:
                if category != references[index]:
                    columns.append((pl.col(term.variable).cast(pl.String) == category).cast(pl.Float64))
                    layout.append((index, category))
        else:
            columns.append(term_value(term))
            layout.append((index, None))
    design = frame.select([c.alias(f"x{i}") for i, c in enumerate(columns)] + [pl.col(TRUTH).alias("y")]).drop_nulls()
    if design.height < MIN_ROWS_PER_COEFFICIENT * (len(columns) + 1):
        raise SijillError(
            code="survey_too_small",
            status=422,
            field="survey",
            value=design.height,
            message=Text(
                f"عدد الأسر ({milieu}) في البحث غير كاف للمعايرة: {design.height}",
                f"Trop peu de ménages ({milieu}) dans l'enquête pour calibrer : {design.height}",
                f"too few {milieu} households in the survey to calibrate: {design.height}",
            ),
            fix=Text(
                f"يلزم {MIN_ROWS_PER_COEFFICIENT * (len(columns) + 1)} أسرة على الأقل",
                f"Il faut au moins {MIN_ROWS_PER_COEFFICIENT * (len(columns) + 1)} ménages",
                f"at least {MIN_ROWS_PER_COEFFICIENT * (len(columns) + 1)} households are needed",
            ),
        )
    x = np.column_stack([np.ones(design.height), design.drop("y").to_numpy()])
    y = design.get_column("y").to_numpy()
    solution, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ solution
    r_squared = 1.0 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum())
    present = [bool(column.any()) for column in x[:, 1:].T]

    regional = {code: 0.0 for code in regions}
    terms: list[dict[str, Any]] = []
    coefficients: dict[int, dict[str, float]] = {}
    empty: list[str] = []
    for (term_index, level), beta, seen in zip(layout, solution[1:], present, strict=True):
        value = round(float(beta), 6) if seen else 0.0
        if term_index is None:
            regional[level or ""] = value
        elif level is not None:
            coefficients.setdefault(term_index, {})[level] = value
            if not seen:
                empty.append(f"{submodel.terms[term_index].variable}={level}")
        else:
            coefficients[term_index] = {"": value}
    for index, term in enumerate(submodel.terms):
        entry: dict[str, Any] = {"variable": term.variable}
        if term.transforms:
            entry["transform"] = list(term.transforms) if len(term.transforms) > 1 else term.transforms[0]
        question = questionnaire.variables[term.variable]
        if question.kind == "category":
            given = coefficients.get(index, {})
            entry["coefficients"] = {c: (0.0 if c == references[index] else given[c]) for c in question.categories}
        else:
            entry["coefficient"] = coefficients[index][""]
        terms.append(entry)
    document = {"intercept": round(float(solution[0]), 6), "regional": regional, "terms": terms}
    return Fit(milieu, design.height, round(r_squared, 4), document, empty)


def calibrate(
    survey: pl.DataFrame, spec: IndexModel, *, version: str, effective_from: date, source: str
) -> tuple[dict[str, Any], list[Fit]]:
    """A model document fitted on `survey` with the terms of `spec`, and the fit of each sub-model."""
    frame = as_model_input(survey, spec.questionnaire)
    fits = [_fit_milieu(frame.filter(pl.col("milieu") == m), spec, m) for m in MILIEUS]
    document: dict[str, Any] = {
        "id": spec.id,
        "version": version,
        "effective_from": effective_from,
        "status": spec.status,
        "questionnaire": spec.questionnaire.ref,
        "source": source,
        "calibration": {
            "method": "ordinary least squares of log consumption per person, per milieu, region constants",
            **{f"{f.milieu}_households": f.households for f in fits},
            **{f"{f.milieu}_r_squared": f.r_squared for f in fits},
        },
        "submodels": {f.milieu: f.document for f in fits},
    }
    return document, fits
