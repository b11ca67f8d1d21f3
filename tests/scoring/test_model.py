"""Model files: what loads, and every refusal names the line at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from sijill.rules_files import RuleFileError, parse_rule_text
from sijill.scoring.model import IndexModel, check_no_overlap, load_model, parse_model, shipped_models
from sijill.scoring.questionnaire import shipped_questionnaires

MODEL = Path(__file__).resolve().parents[2] / "rules" / "index-models" / "rsu-index-2026.1.yaml"


def test_shipped_model_is_illustrative_and_complete(shipped_model: IndexModel) -> None:
    assert shipped_model.status == "illustrative"
    assert "synthetic" in shipped_model.source.lower()
    assert len(shipped_model.submodels["urban"].terms) == 35
    assert len(shipped_model.submodels["rural"].terms) == 28
    assert set(shipped_model.submodels["urban"].regional) == {f"{i:02d}" for i in range(1, 13)}


def _parse(text: str) -> IndexModel:
    return parse_model(parse_rule_text(text, "m.yaml"), shipped_questionnaires())


def _broken(old: str, new: str) -> str:
    text = MODEL.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


def _line_of(text: str, fragment: str, after: int = 0) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if i > after and fragment in line)


def test_unknown_variable_is_refused_with_its_line() -> None:
    text = _broken("- variable: fridge", "- variable: fridge_count")
    with pytest.raises(RuleFileError) as caught:
        _parse(text)
    error = caught.value
    assert f"m.yaml:{_line_of(text, 'fridge_count')}" in error.message.en
    assert "fridge_count" in error.message.fr and "fridge_count" in error.message.ar
    assert error.status == 422


def test_rural_variable_in_the_urban_model_is_unknown() -> None:
    text = _broken("- variable: fridge", "- variable: land_ha")
    with pytest.raises(RuleFileError, match="land_ha"):
        _parse(text)


def test_missing_coefficient_is_refused_with_its_line() -> None:
    text = MODEL.read_text(encoding="utf-8")
    start = _line_of(text, "- variable: rooms")
    lines = text.splitlines()
    coefficient_line = next(i for i in range(start, len(lines)) if "coefficient:" in lines[i])
    del lines[coefficient_line]
    with pytest.raises(RuleFileError) as caught:
        _parse("\n".join(lines))
    assert f"m.yaml:{start}" in caught.value.message.en
    assert "missing coefficient for rooms" in caught.value.message.en


def test_missing_category_coefficient_is_refused() -> None:
    text = MODEL.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("shanty:"))
    del lines[index]
    with pytest.raises(RuleFileError, match="missing coefficient for category 'shanty' of dwelling_type"):
        _parse("\n".join(lines))


def test_missing_region_is_refused() -> None:
    text = MODEL.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("'12':")]
    with pytest.raises(RuleFileError, match="missing regional constant for region 12"):
        _parse("\n".join(lines))


def test_log_of_a_variable_that_can_be_zero_is_refused() -> None:
    text = _broken("  - variable: cattle\n      transform: log1p", "  - variable: cattle\n      transform: log")
    with pytest.raises(RuleFileError, match="use log1p"):
        _parse(text)


def test_unknown_questionnaire_is_refused() -> None:
    with pytest.raises(RuleFileError, match="unknown questionnaire"):
        _parse(_broken("questionnaire: rsu-questionnaire@2026.1", "questionnaire: rsu-questionnaire@1999"))


def _version(path: Path, version: str, start: str, end: str | None) -> Path:
    text = _broken("version: '2026.1'", f"version: '{version}'").replace(
        "effective_from: 2021-07-01", f"effective_from: {start}"
    )
    if end:
        text = text.replace(f"effective_from: {start}", f"effective_from: {start}\neffective_to: {end}")
    path.write_text(text, encoding="utf-8")
    return path


def test_overlapping_versions_are_refused_naming_the_later_file(tmp_path: Path) -> None:
    first = load_model(_version(tmp_path / "a.yaml", "2025.1", "2025-01-01", "2026-03-01"))
    second = load_model(_version(tmp_path / "b.yaml", "2026.1", "2026-01-01", None))
    with pytest.raises(RuleFileError) as caught:
        check_no_overlap([first, second])
    text = (tmp_path / "b.yaml").read_text(encoding="utf-8")
    assert f"b.yaml:{_line_of(text, 'effective_from')}" in caught.value.message.en
    assert "a.yaml" in caught.value.message.en


def test_consecutive_versions_are_accepted(tmp_path: Path) -> None:
    first = load_model(_version(tmp_path / "a.yaml", "2025.1", "2025-01-01", "2026-01-01"))
    second = load_model(_version(tmp_path / "b.yaml", "2026.1", "2026-01-01", None))
    check_no_overlap([first, second])
    assert first.in_force_on(first.effective_from) and not first.in_force_on(second.effective_from)


def test_the_rules_folder_loads_as_a_whole() -> None:
    assert "rsu-index@2026.1" in shipped_models()
