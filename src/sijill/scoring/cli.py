"""`sijill model`: list, check, calibrate and evaluate the index models (files, not database rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
import yaml
from rich.table import Table

from sijill.cli_support import console, date_option
from sijill.scoring.calibrate import calibrate
from sijill.scoring.compiled import REGION, CompiledModel
from sijill.scoring.derive import as_model_input
from sijill.scoring.evaluate import accuracy, volatility
from sijill.scoring.model import IndexModel, find_model, load_model, parse_model, shipped_models
from sijill.scoring.questionnaire import shipped_questionnaires
from sijill.scoring.survey import TRUTH, read_survey, survey_from_synth
from sijill.scoring.thresholds import index_thresholds

model_app = typer.Typer(help="Index models / نماذج المؤشر / modèles d'indice", no_args_is_help=True)

HEADER = """# Index model of the RSU, written by `sijill model calibrate`.
# ILLUSTRATIVE: the official formula and weights are not published. This model is fitted on a
# household survey file; the shipped one on the synthetic population's latent consumption.
"""


@model_app.command("list")
def list_models() -> None:
    """Every model version under rules/index-models, with its dates and status."""
    table = Table("model", "in force", "status", "questionnaire", "file")
    for model in sorted(shipped_models().values(), key=lambda m: (m.id, m.effective_from)):
        until = f" → {model.effective_to}" if model.effective_to else " →"
        table.add_row(
            model.ref, f"{model.effective_from}{until}", model.status, model.questionnaire.ref, str(model.path.name)
        )
    console.print(table)


@model_app.command("check")
def check_model(path: Annotated[Path, typer.Argument(help="model file (YAML)")]) -> None:
    """Load a model file and report it, or the line at fault (exit 2)."""
    model = load_model(path)
    terms = {m: len(s.terms) for m, s in model.submodels.items()}
    console.print(f"{model.ref}: valid; terms {terms}; questionnaire {model.questionnaire.ref}")


@model_app.command("survey")
def make_survey(
    synth_dir: Annotated[Path, typer.Argument(help="folder written by `sijill synth`")],
    out: Annotated[Path, typer.Option(help="survey file to write (Parquet)")],
    sample: Annotated[int | None, typer.Option(min=100, help="households drawn at random (default all)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the draw")] = 1,
    questionnaire: Annotated[str, typer.Option(help="questionnaire id@version")] = "rsu-questionnaire@2026.1",
) -> None:
    """A survey file from a synthetic population: variables and true log consumption per person."""
    survey = survey_from_synth(synth_dir, shipped_questionnaires()[questionnaire], sample=sample, seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    survey.write_parquet(out)
    console.print(f"{survey.height} households written to {out}")


@model_app.command("calibrate")
def calibrate_model(
    survey_path: Annotated[Path, typer.Argument(metavar="SURVEY", help="survey file (Parquet)")],
    version: Annotated[str, typer.Option(help="version of the new model")],
    effective_from: Annotated[str, typer.Option(help="first day in force, YYYY-MM-DD")],
    out: Annotated[Path, typer.Option(help="model file to write")],
    spec: Annotated[Path, typer.Option(help="terms to fit")] = Path("rules/index-models/specification.yaml"),
    source: Annotated[str, typer.Option(help="where the survey comes from")] = "household survey file",
) -> None:
    """Fit urban and rural coefficients on a survey and write a new model file."""
    from sijill.rules_files import read_rule_file

    start = date_option("effective-from", effective_from)
    model_spec = parse_model(read_rule_file(spec), shipped_questionnaires(), coefficients=False)
    survey = read_survey(survey_path)
    document, fits = calibrate(survey, model_spec, version=version, effective_from=start, source=source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    load_model(out)  # the file written must load: refuse to leave a broken model behind
    for fit in fits:
        empty = f"; no data for {', '.join(fit.empty_categories)}" if fit.empty_categories else ""
        console.print(f"{fit.milieu}: {fit.households} households, R² {fit.r_squared}{empty}")
    console.print(f"model written to {out}")


def score_survey(model: IndexModel, survey: pl.DataFrame) -> pl.Series:
    compiled = CompiledModel(model)
    frame = as_model_input(survey, model.questionnaire).with_columns(pl.col(REGION).cast(compiled.region_dtype))
    return compiled.score(frame)


@model_app.command("evaluate")
def evaluate_model(
    survey_path: Annotated[Path, typer.Argument(metavar="SURVEY", help="survey file (Parquet)")],
    model: Annotated[str, typer.Option(help="model version (or a model file)")],
    against: Annotated[str | None, typer.Option(help="second version: score volatility between the two")] = None,
) -> None:
    """Targeting accuracy against true consumption, and volatility between two model versions."""
    models = shipped_models()
    chosen = load_model(Path(model)) if model.endswith(".yaml") else find_model(models, model)
    survey = read_survey(survey_path)
    scores = score_survey(chosen, survey)
    correlation, results = accuracy(scores, survey.get_column(TRUTH), index_thresholds())
    console.print(f"{chosen.ref} on {survey.height} households: correlation with true log consumption {correlation}")
    table = Table(
        "programme",
        "threshold",
        "truly eligible",
        "selected",
        "exclusion error",
        "inclusion error",
        "poorest quintile covered",
    )
    for r in results:
        table.add_row(
            r.programme,
            str(r.threshold),
            f"{r.truly_eligible:.1%}",
            f"{r.selected:.1%}",
            f"{r.exclusion_error:.1%}",
            f"{r.inclusion_error:.1%}",
            f"{r.poorest_quintile_coverage:.1%}",
        )
    console.print(table)
    if against is not None:
        other = load_model(Path(against)) if against.endswith(".yaml") else find_model(models, against)
        moved = volatility(score_survey(other, survey), scores, index_thresholds())
        console.print(
            f"from {other.ref} to {chosen.ref}: mean |change| {moved.mean_absolute_change}, "
            f"{moved.share_changed_over_0_1:.1%} moved more than 0.1"
        )
        for programme in moved.entering:
            console.print(f"  {programme}: {moved.entering[programme]} enter, {moved.leaving[programme]} leave")
