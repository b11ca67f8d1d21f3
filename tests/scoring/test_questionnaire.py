"""The questionnaire file and the variables computed from a household's members."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sijill.rules_files import RuleFileError, parse_rule_text
from sijill.scoring.derive import features_of_one
from sijill.scoring.questionnaire import Questionnaire, parse_questionnaire

SHIPPED = Path(__file__).resolve().parents[2] / "rules" / "questionnaires" / "rsu-2026.yaml"


def test_shipped_questionnaire_has_35_urban_and_28_rural_variables(questionnaire: Questionnaire) -> None:
    assert len(questionnaire.variables_for("urban")) == 35
    assert len(questionnaire.variables_for("rural")) == 28
    assert questionnaire.status == "illustrative"
    assert "land_ha" not in {q.name for q in questionnaire.variables_for("urban")}
    assert "declared_size" in {q.name for q in questionnaire.answers_for("rural")}


def _member(age: int, **fields: object) -> dict[str, object]:
    base = {
        "is_declarant": False,
        "sex": "F",
        "age": age,
        "relationship": "child",
        "education": "primary",
        "in_school": False,
        "occupation": None,
        "disability": False,
    }
    return {**base, **fields}


def test_member_variables_of_one_household(questionnaire: Questionnaire) -> None:
    members = [
        _member(
            44,
            is_declarant=True,
            sex="M",
            relationship="head",
            education="lower_secondary",
            occupation="employed_informal",
        ),
        _member(39, relationship="spouse", education="higher", occupation="employed_formal"),
        _member(3, education="none"),
        _member(10, in_school=True),
        _member(14, in_school=True, disability=True),
        _member(61, relationship="parent", education="none", occupation="retired"),
    ]
    features = features_of_one({"rooms": 4, "declared_size": 6}, members, questionnaire)
    assert features["household_size"] == 6
    assert features["children_0_5"] == 1
    assert features["children_6_14"] == 2
    assert features["members_60_plus"] == 1
    assert features["members_in_school"] == 2
    assert features["members_formal_job"] == 1
    assert features["members_employed"] == 2
    assert features["members_disabled"] == 1
    assert features["declarant_sex"] == "M"
    assert features["declarant_age"] == 44
    assert features["declarant_education"] == "lower_secondary"
    assert features["declarant_occupation"] == "employed_informal"
    # The highest level among adults: the spouse's, not a child's.
    assert features["highest_education"] == "higher"
    assert features["persons_per_room"] == pytest.approx(1.5)


def test_batch_and_one_household_agree(survey: pl.DataFrame, questionnaire: Questionnaire, synth_dir: Path) -> None:
    from sijill.scoring.survey import synth_frames

    answers, members = synth_frames(synth_dir)
    key = int(survey.get_column("key")[7])
    one_answers = answers.filter(pl.col("key") == key).drop("key").row(0, named=True)
    one_members = members.filter(pl.col("key") == key).drop("key").to_dicts()
    features = features_of_one(one_answers, one_members, questionnaire)
    batch = survey.filter(pl.col("key") == key).row(0, named=True)
    for name, value in features.items():
        assert batch[name] == value, name
    assert batch["household_size"] == batch["declared_size"]


def _broken(old: str, new: str) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_unknown_member_field_in_a_derivation_names_its_line() -> None:
    text = _broken("derive: {count: {in_school: true}}", "derive: {count: {at_school: true}}")
    with pytest.raises(RuleFileError) as caught:
        parse_questionnaire(parse_rule_text(text, "q.yaml"))
    assert f"q.yaml:{_line_of(text, 'at_school')}" in caught.value.message.fr
    assert "at_school" in caught.value.message.en
    assert caught.value.message.ar


def test_check_on_an_unknown_category_is_refused() -> None:
    text = _broken("when: {dwelling_type: [shanty]}", "when: {dwelling_type: [tent]}")
    with pytest.raises(RuleFileError) as caught:
        parse_questionnaire(parse_rule_text(text, "q.yaml"))
    assert f"q.yaml:{_line_of(text, '[tent]')}" in caught.value.message.en


def test_unknown_key_is_refused_rather_than_ignored() -> None:
    text = _broken("    min: 1\n    max: 30\n", "    min: 1\n    maxi: 30\n")
    with pytest.raises(RuleFileError) as caught:
        parse_questionnaire(parse_rule_text(text, "q.yaml"))
    assert "maxi" in caught.value.message.en
    assert f"q.yaml:{_line_of(text, 'maxi')}" in caught.value.message.en


def test_not_yaml_is_refused_with_its_line() -> None:
    with pytest.raises(RuleFileError) as caught:
        parse_rule_text("id: x\nvariables: [a, b\nnext: 1\n", "bad.yaml")
    assert "bad.yaml:" in caught.value.message.en
