"""Household-survey files: the index variables of each household with its true consumption.

A survey file (Parquet) has one row per household: ``milieu``, ``region``, every variable of the
questionnaire, and ``log_consumption`` (log of yearly consumption per person). Calibration fits the
models on it; evaluation measures targeting errors on it. The synthetic population's latent
consumption stands in for the HCP's household survey: `survey_from_synth` builds one.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sijill.errors import SijillError, Text
from sijill.scoring.derive import KEY, derive_features
from sijill.scoring.questionnaire import Questionnaire

TRUTH = "log_consumption"


def _month_day(value: pl.Expr) -> pl.Expr:
    # Month and day come as 8-bit integers: widen them before shifting the month (6 * 100 overflows).
    return value.dt.month().cast(pl.Int32) * 100 + value.dt.day().cast(pl.Int32)


def age_at(birth: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Completed years at `day` of someone born on `birth`."""
    before_birthday = _month_day(day) < _month_day(birth)
    return (day.dt.year() - birth.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int64)


def synth_frames(synth_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Answers (one row per household, with ``key``, ``milieu``, ``annex_code``) and members, from a synth folder."""
    households = pl.read_parquet(
        synth_dir / "households.parquet",
        columns=["household_id", "annex_code", "milieu", "declarant_record_id", "declared_on", "size"],
    )
    answers = pl.read_parquet(synth_dir / "answers.parquet").drop("milieu")
    answers = households.join(answers, on="household_id").with_columns(
        pl.col("size").cast(pl.Int64).alias("declared_size")
    )
    people = pl.scan_parquet(synth_dir / "persons.parquet").filter(pl.col("household_id").is_not_null())
    birth = pl.coalesce(pl.col("birth_date"), pl.date(pl.col("birth_year"), 1, 1))
    members = (
        people.join(households.lazy().select("household_id", "declarant_record_id", "declared_on"), on="household_id")
        .select(
            pl.col("household_id").alias(KEY),
            pl.col("record_id"),
            (pl.col("record_id") == pl.col("declarant_record_id")).alias("is_declarant"),
            pl.col("sex"),
            age_at(birth, pl.col("declared_on")).alias("age"),
            "relationship",
            "education",
            "in_school",
            "occupation",
            "disability",
            "marital_status",
        )
        .collect()
    )
    return answers.rename({"household_id": KEY}), members


def survey_from_synth(
    synth_dir: Path, questionnaire: Questionnaire, *, sample: int | None, seed: int = 1
) -> pl.DataFrame:
    truth_path = synth_dir / "truth" / "households.parquet"
    if not truth_path.exists():
        raise SijillError(
            code="synth_folder_invalid",
            status=422,
            field="synth_dir",
            value=str(synth_dir),
            message=Text(
                f"ليس مجلد ساكنة اصطناعية: {synth_dir}",
                f"Pas un dossier de population synthétique : {synth_dir}",
                f"not a synthetic population folder (no truth/households.parquet): {synth_dir}",
            ),
            fix=Text("أنشئوه بالأمر sijill synth", "Créez-le avec sijill synth", "create it with sijill synth"),
        )
    answers, members = synth_frames(synth_dir)
    if sample is not None and sample < answers.height:
        answers = answers.sample(n=sample, seed=seed).sort(KEY)
        members = members.join(answers.select(KEY), on=KEY, how="semi")
    features = derive_features(answers, members, questionnaire)
    truth = pl.read_parquet(truth_path, columns=["household_id", TRUTH]).rename({"household_id": KEY})
    return features.join(truth, on=KEY).with_columns(pl.col("annex_code").str.slice(0, 2).alias("region"))


def read_survey(path: Path) -> pl.DataFrame:
    try:
        survey = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SijillError(
            code="survey_unreadable",
            status=422,
            field="survey",
            value=str(path),
            message=Text(
                f"تعذرت قراءة ملف البحث {path}",
                f"Lecture du fichier d'enquête {path} impossible",
                f"cannot read survey file {path}: {exc}",
            ),
            fix=Text(
                "قدموا ملف Parquet من `sijill model survey`",
                "Fournissez un Parquet de `sijill model survey`",
                "give a Parquet file made by `sijill model survey`",
            ),
        ) from None
    missing = [c for c in ("milieu", "region", TRUTH) if c not in survey.columns]
    if missing:
        raise SijillError(
            code="survey_missing_columns",
            status=422,
            field="survey",
            value=", ".join(missing),
            message=Text(
                f"أعمدة ناقصة في ملف البحث: {', '.join(missing)}",
                f"Colonnes manquantes dans l'enquête : {', '.join(missing)}",
                f"survey lacks columns: {', '.join(missing)}",
            ),
            fix=Text("أضيفوا الأعمدة الناقصة", "Ajoutez les colonnes manquantes", "add the missing columns"),
        )
    return survey
