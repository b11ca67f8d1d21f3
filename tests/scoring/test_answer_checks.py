"""Answers checked against the questionnaire: every problem listed, in Arabic and French."""

from __future__ import annotations

from typing import Any

import polars as pl

from sijill.scoring.answer_checks import answer_problems, check_form, invalid_declaration
from sijill.scoring.questionnaire import Questionnaire
from tests.social_registry.support import urban_answers


def problems_of_one(
    answers: dict[str, Any], members: list[dict[str, Any]], milieu: str, questionnaire: Questionnaire
) -> list[dict[str, Any]]:
    problems, variables = check_form(answers, members, milieu, questionnaire)
    # Variables come back exactly when the form is clean.
    assert (variables is None) == bool(problems)
    return problems


def _urban_answers(**changes: Any) -> dict[str, Any]:
    return urban_answers(**{"declared_size": 2, **changes})


def _members() -> list[dict[str, Any]]:
    return [
        {
            "is_declarant": True,
            "sex": "F",
            "age": 40,
            "relationship": "head",
            "education": "primary",
            "in_school": False,
            "occupation": "homemaker",
            "disability": False,
        },
        {
            "is_declarant": False,
            "sex": "M",
            "age": 12,
            "relationship": "child",
            "education": "primary",
            "in_school": True,
            "occupation": None,
            "disability": False,
        },
    ]


def test_a_correct_form_has_no_problem(questionnaire: Questionnaire) -> None:
    assert problems_of_one(_urban_answers(), _members(), "urban", questionnaire) == []


def test_every_problem_is_listed_with_field_value_and_rule(questionnaire: Questionnaire) -> None:
    answers = _urban_answers(spend_butane=-50, dwelling_type="tent", declared_size=5)
    del answers["fridge"]
    problems = problems_of_one(answers, _members(), "urban", questionnaire)
    by_field = {p["field"]: p for p in problems}
    assert by_field["answers.spend_butane"]["rule"] == "out_of_range"
    assert by_field["answers.spend_butane"]["value"] == "-50"
    assert "[0, 5000]" in by_field["answers.spend_butane"]["fr"]
    assert by_field["answers.dwelling_type"]["rule"] == "unknown_category"
    assert by_field["answers.fridge"]["rule"] == "required"
    assert "Réfrigérateur" in by_field["answers.fridge"]["fr"] and "ثلاجة" in by_field["answers.fridge"]["ar"]
    # Two members listed, five declared: more persons declared than the household has.
    assert by_field["answers.household_size"]["rule"] == "members_match_declared_size"
    assert all(p["ar"] and p["fr"] for p in problems)


def test_inconsistent_answers_are_refused(questionnaire: Questionnaire) -> None:
    answers = _urban_answers(dwelling_type="shanty", rooms=8, electricity="none", spend_electricity=120)
    rules = {p["rule"] for p in problems_of_one(answers, _members(), "urban", questionnaire)}
    assert {"rooms_plausible_for_shanty", "electricity_spending_needs_network", "fridge_needs_electricity"} <= rules


def test_wrong_types_and_unknown_questions_are_named(questionnaire: Questionnaire) -> None:
    answers = _urban_answers(rooms="three", fridge=1, land_ha=2.0)
    members = _members()
    members[1]["in_school"] = "yes"
    problems = {p["field"]: p["rule"] for p in problems_of_one(answers, members, "urban", questionnaire)}
    assert problems == {
        "answers.rooms": "type_integer",
        "answers.fridge": "type_boolean",
        # A rural question on an urban form.
        "answers.land_ha": "unknown_question",
        "members.1.in_school": "type_boolean",
    }


def test_unknown_member_category_is_refused(questionnaire: Questionnaire) -> None:
    members = _members()
    members[0]["education"] = "doctorate"
    problems = problems_of_one(_urban_answers(), members, "urban", questionnaire)
    assert [(p["field"], p["rule"]) for p in problems] == [("members.0.education", "unknown_category")]


def test_the_batch_check_finds_the_same_problems_for_many_households(
    survey: pl.DataFrame, questionnaire: Questionnaire
) -> None:
    clean = answer_problems(survey, questionnaire)
    # Synthetic answers are consistent by construction.
    assert clean.height == 0
    broken = survey.head(5).with_columns(
        pl.when(pl.col("key") == pl.col("key").first()).then(-1).otherwise(pl.col("spend_phone")).alias("spend_phone")
    )
    found = answer_problems(broken, questionnaire)
    assert found.get_column("field").to_list() == ["spend_phone"]
    assert found.get_column("key").to_list() == [survey.get_column("key")[0]]


def test_refusal_error_lists_each_problem() -> None:
    error = invalid_declaration([{"field": "answers.rooms", "rule": "out_of_range"}])
    assert error.status == 422 and error.code == "declaration_invalid"
    assert error.details == [{"field": "answers.rooms", "rule": "out_of_range"}]
    assert "1" in error.message.fr and error.message.ar
