"""Calibration recovers a known formula; evaluation counts targeting errors exactly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from sijill.errors import SijillError, Text
from sijill.rules_files import parse_rule_text, read_rule_file
from sijill.scoring.calibrate import calibrate
from sijill.scoring.evaluate import accuracy, volatility
from sijill.scoring.model import IndexModel, parse_model
from sijill.scoring.questionnaire import shipped_questionnaires
from sijill.scoring.survey import TRUTH
from sijill.scoring.thresholds import Threshold, index_thresholds

SPEC = Path(__file__).resolve().parents[2] / "rules" / "index-models" / "specification.yaml"


def _spec() -> IndexModel:
    return parse_model(read_rule_file(SPEC), shipped_questionnaires(), coefficients=False)


def _fit(survey: pl.DataFrame) -> IndexModel:
    import yaml

    document, _ = calibrate(survey, _spec(), version="t", effective_from=date(2026, 1, 1), source="test")
    return parse_model(parse_rule_text(yaml.safe_dump(document), "fitted.yaml"), shipped_questionnaires())


def test_calibration_recovers_a_known_linear_formula(survey: pl.DataFrame) -> None:
    # Replace the truth by an exact formula of three variables: the fit must find its coefficients.
    exact = survey.with_columns(
        (
            9.0
            + 0.25 * pl.col("fridge").cast(pl.Float64)
            - 0.1 * pl.col("household_size").log()
            + pl.when(pl.col("dwelling_type") == "villa").then(0.5).otherwise(0.0)
        ).alias(TRUTH)
    )
    model = _fit(exact)
    urban = {t.variable: t for t in model.submodels["urban"].terms}
    assert urban["fridge"].coefficient == pytest.approx(0.25, abs=1e-4)
    assert urban["household_size"].coefficient == pytest.approx(-0.1, abs=1e-4)
    dwelling = urban["dwelling_type"].coefficients
    assert dwelling is not None
    assert dwelling["villa"] - dwelling["apartment"] == pytest.approx(0.5, abs=1e-4)
    assert urban["tv"].coefficient == pytest.approx(0.0, abs=1e-4)


def test_model_fitted_on_the_synthetic_survey_targets_well(survey: pl.DataFrame) -> None:
    from sijill.scoring.cli import score_survey

    train = survey.filter(pl.col("key") % 2 == 0)
    test = survey.filter(pl.col("key") % 2 == 1)
    model = _fit(train)
    correlation, results = accuracy(score_survey(model, test), test.get_column(TRUTH), index_thresholds())
    assert correlation > 0.85
    amo = next(r for r in results if r.programme == "amo-tadamon")
    assert amo.exclusion_error < 0.35 and amo.inclusion_error < 0.35


def test_too_small_a_survey_is_refused(survey: pl.DataFrame) -> None:
    with pytest.raises(SijillError) as caught:
        calibrate(survey.head(60), _spec(), version="t", effective_from=date(2026, 1, 1), source="test")
    assert caught.value.code == "survey_too_small"
    assert caught.value.message.ar and caught.value.message.fr


def _threshold(at_most: float) -> Threshold:
    return Threshold("p", "1", at_most, Text("ب", "p", "p"))


def test_errors_at_a_threshold_are_counted_exactly() -> None:
    truth = pl.Series([9.0, 9.1, 9.2, 9.8, 9.9, 10.5, 10.6, 10.7, 10.8, 10.9])
    score = pl.Series([9.0, 9.6, 9.2, 9.3, 10.0, 10.5, 10.6, 10.7, 10.8, 10.9])
    correlation, (result,) = accuracy(score, truth, [_threshold(9.5)])
    # Truly eligible: the first three. Selected: 1st, 3rd and 4th.
    assert result.truly_eligible == 0.3 and result.selected == 0.3
    assert result.exclusion_error == pytest.approx(1 / 3, abs=1e-4)
    assert result.inclusion_error == pytest.approx(1 / 3, abs=1e-4)
    # The poorest fifth is the first two households; one of them is selected.
    assert result.poorest_quintile_coverage == 0.5
    assert 0.9 < correlation <= 1.0


def test_volatility_counts_households_crossing_a_threshold() -> None:
    before = pl.Series([9.0, 9.4, 9.6, 10.0])
    after = pl.Series([9.0, 9.6, 9.4, 10.05])
    moved = volatility(before, after, [_threshold(9.5)])
    assert moved.entering == {"p": 1} and moved.leaving == {"p": 1}
    assert moved.mean_absolute_change == pytest.approx(np.mean([0, 0.2, 0.2, 0.05]), abs=1e-4)
    assert moved.share_changed_over_0_1 == 0.5


def test_programme_thresholds_come_from_the_rule_files() -> None:
    thresholds = {t.programme: t.at_most for t in index_thresholds()}
    assert thresholds == {"amo-tadamon": 9.3264284, "asd": 9.743001}
