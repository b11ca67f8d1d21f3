"""A small synthetic population and its survey, built once per test session."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sijill.scoring.model import IndexModel, model_in_force, shipped_models
from sijill.scoring.questionnaire import Questionnaire, shipped_questionnaires
from sijill.scoring.survey import survey_from_synth
from sijill.synth import SynthConfig, generate

QUESTIONNAIRE = "rsu-questionnaire@2026.1"


@pytest.fixture(scope="session")
def questionnaire() -> Questionnaire:
    return shipped_questionnaires()[QUESTIONNAIRE]


@pytest.fixture(scope="session")
def shipped_model() -> IndexModel:
    from datetime import date

    return model_in_force(shipped_models(), date(2026, 6, 1))


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scoring-synth")
    generate(SynthConfig(persons=40_000, seed=5, out_dir=folder))
    return folder


@pytest.fixture(scope="session")
def survey(synth_dir: Path, questionnaire: Questionnaire) -> pl.DataFrame:
    return survey_from_synth(synth_dir, questionnaire, sample=None)
