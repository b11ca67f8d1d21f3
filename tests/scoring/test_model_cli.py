"""`sijill model` in a real subprocess: exit codes, messages, files written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sijill.scoring.model import load_model

MODEL = Path(__file__).resolve().parents[2] / "rules" / "index-models" / "rsu-index-2026.1.yaml"


def sijill(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sijill", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
        check=False,
    )


def test_check_refuses_a_bad_file_with_its_line_in_both_languages(tmp_path: Path) -> None:
    text = MODEL.read_text(encoding="utf-8").replace("- variable: tv", "- variable: television", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "television" in row)
    result = sijill("model", "check", str(bad))
    assert result.returncode == 2
    assert f"bad.yaml:{line}" in result.stderr
    assert "variable inconnue" in result.stderr and "متغير غير معروف" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_and_list_the_shipped_model() -> None:
    checked = sijill("model", "check", str(MODEL))
    assert checked.returncode == 0, checked.stderr
    assert "rsu-index@2026.1: valid" in checked.stdout
    listed = sijill("model", "list")
    assert "rsu-index@2026.1" in listed.stdout and "illustrative" in listed.stdout


def test_survey_calibrate_and_evaluate_end_to_end(synth_dir: Path, tmp_path: Path) -> None:
    survey = tmp_path / "survey.parquet"
    made = sijill("model", "survey", str(synth_dir), "--out", str(survey), "--sample", "6000")
    assert made.returncode == 0, made.stderr
    assert "6000 households" in made.stdout
    out = tmp_path / "fitted.yaml"
    fitted = sijill(
        "model",
        "calibrate",
        str(survey),
        "--version",
        "test.1",
        "--effective-from",
        "2030-01-01",
        "--out",
        str(out),
        "--source",
        "test survey",
    )
    assert fitted.returncode == 0, fitted.stderr
    model = load_model(out)
    assert model.ref == "rsu-index@test.1" and model.source == "test survey"
    assert "R²" in fitted.stdout
    evaluated = sijill("model", "evaluate", str(survey), "--model", str(out), "--against", "2026.1")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "amo-tadamon" in evaluated.stdout and "exclusion" in evaluated.stdout
    assert "from rsu-index@2026.1 to rsu-index@test.1" in evaluated.stdout


def test_bad_inputs_exit_2_without_a_trace(tmp_path: Path) -> None:
    missing = sijill("model", "evaluate", str(tmp_path / "none.parquet"), "--model", "2026.1")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "Lecture du fichier d'enquête" in missing.stderr
    unknown = sijill("model", "evaluate", str(MODEL), "--model", "1999.9")
    assert unknown.returncode == 2 and "1999.9" in unknown.stderr
    bad_date = sijill(
        "model",
        "calibrate",
        str(MODEL),
        "--version",
        "x",
        "--effective-from",
        "soon",
        "--out",
        str(tmp_path / "x.yaml"),
    )
    assert bad_date.returncode == 2 and "effective-from" in bad_date.stderr
    assert not (tmp_path / "x.yaml").exists()
    not_synth = sijill("model", "survey", str(tmp_path), "--out", str(tmp_path / "s.parquet"))
    assert not_synth.returncode == 2 and "sijill synth" in not_synth.stderr
