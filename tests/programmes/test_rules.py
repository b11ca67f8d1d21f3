"""Programme rule files: what is refused, with the file and line, and how rules are found by date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sijill.errors import SijillError
from sijill.programmes.rule_types import IndexCondition, NoLinksCondition
from sijill.programmes.rules import load_rule_text, load_rules, rule_in_force, rules_in_force, shipped_rules
from sijill.rules_files import RuleFileError
from sijill.scoring.thresholds import index_thresholds

BASE = """\
id: test-aid
version: "1"
effective_from: 2025-01-01
source: "a test"
name: {ar: "منحة", fr: "Aide"}
kind: benefit
eligible_when:
  all:
    - index: {at_most: 9.5}
      reason: too_rich
%s
reasons:
  too_rich: {ar: "غني", fr: "Trop aisé"}
%s
"""


def _rule(conditions: str = "", extra: str = "") -> str:
    return BASE % (conditions, extra)


@pytest.mark.parametrize(
    ("conditions", "extra", "line", "words"),
    [
        ("    - members: {where: {shoe_size: {at_most: 3}}, at_least: 1}\n      reason: too_rich", "", 11, "shoe_size"),
        ("    - declarant: {marital_status: [engaged]}\n      reason: too_rich", "", 11, "engaged"),
        ("    - no_links: {registries: [tax_office]}\n      reason: too_rich", "", 11, "tax_office"),
        ("    - no_links: {registries: [pensioners]}\n      reason: pensioner", "", 12, "pensioner"),
        ("    - index: {above: 9.8, at_most: 9.2}\n      reason: too_rich", "", 11, "at_most"),
        ("    - residence: {milieu: [suburban]}\n      reason: too_rich", "", 11, "suburban"),
        ("    - residence: {regions: ['13']}\n      reason: too_rich", "", 11, "13"),
        ("    - members: {where: {in_school: maybe}, at_least: 1}\n      reason: too_rich", "", 11, "true or false"),
        ("    - index: {at_most: 9.5}\n      reason: too_rich\n      extra: 1", "", 11, "exactly one"),
        ("", "entitlement:\n  period: fortnight\n", 15, "fortnight"),
        (
            "",
            "entitlement:\n  period: month\n  by_index:\n    - {at_most: 9, amount: 1}\n"
            "    - {above: 9.2, at_most: 10, amount: 2}\n",
            18,
            "follow",
        ),
        (
            "",
            "entitlement:\n  period: month\n  lines:\n    - {id: a, label: {ar: x, fr: y}, members: {},"
            " amounts: [{when: {rank: {at_most: 1}, age: {at_most: 5}}, amount: 3}], colour: red}\n",
            17,
            "colour",
        ),
    ],
    ids=[
        "unknown field",
        "unknown category",
        "unknown registry",
        "reason without text",
        "bracket upside down",
        "unknown milieu",
        "unknown region",
        "boolean expected",
        "two kinds in one condition",
        "unknown period",
        "brackets with a gap",
        "unknown key in a line",
    ],
)
def test_a_bad_rule_is_refused_with_its_line(conditions: str, extra: str, line: int, words: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        load_rule_text(_rule(conditions, extra), "rules/programmes/test-aid.yaml")
    error = caught.value
    assert error.value == line, error.message.en
    assert words in error.message.en
    assert "test-aid.yaml:" in error.message.fr and "test-aid.yaml:" in error.message.ar


def test_rank_may_only_be_tested_inside_an_amount() -> None:
    with pytest.raises(RuleFileError, match="rank"):
        load_rule_text(
            _rule("    - members: {where: {rank: {at_most: 1}}, at_least: 1}\n      reason: too_rich"), "x.yaml"
        )


def test_two_versions_in_force_on_the_same_day_are_refused(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    first.write_text(_rule(), encoding="utf-8")
    second.write_text(_rule().replace('version: "1"', 'version: "2"').replace("2025-01-01", "2025-06-01"), "utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rules([first, second])
    assert "b.yaml:3" in caught.value.message.en and "test-aid@1" in caught.value.message.en
    second.write_text(_rule().replace('version: "2"', 'version: "2"'), encoding="utf-8")
    ended = _rule().replace("effective_from: 2025-01-01", "effective_from: 2025-01-01\neffective_to: 2025-06-01")
    first.write_text(ended, encoding="utf-8")
    second.write_text(_rule().replace('version: "1"', 'version: "2"').replace("2025-01-01", "2025-06-01"), "utf-8")
    rules = load_rules([first, second])
    assert rule_in_force(rules, "test-aid", date(2025, 5, 31)).version == "1"
    assert rule_in_force(rules, "test-aid", date(2025, 6, 1)).version == "2"


def test_shipped_rules_are_found_by_day_and_unknown_ones_are_explained() -> None:
    rules = shipped_rules()
    assert [r.version for r in rules_in_force(rules, date(2024, 6, 1), "asd")] == ["2023-12"]
    assert rule_in_force(rules, "asd", date(2025, 12, 31)).version == "2025-01"
    assert rule_in_force(rules, "asd", date(2026, 1, 1)).version == "2026-01"
    assert {r.id for r in rules_in_force(rules, date(2026, 3, 1))} == {
        "amo-tadamon",
        "amo-achamil",
        "asd",
        "daam",
        "vocational-grant",
        "university-grant",
    }
    with pytest.raises(SijillError) as unknown:
        rule_in_force(rules, "ramed", date(2026, 3, 1))
    assert unknown.value.code == "unknown_programme" and "asd" in unknown.value.fix.fr  # type: ignore[union-attr]
    with pytest.raises(SijillError) as too_early:
        rule_in_force(rules, "asd", date(2023, 1, 1))
    assert too_early.value.code == "no_rule_in_force" and too_early.value.status == 422


def test_the_official_thresholds_are_the_rules_own() -> None:
    rules = shipped_rules()
    tadamon = rule_in_force(rules, "amo-tadamon", date(2026, 3, 1))
    index = next(c for c in tadamon.conditions if isinstance(c, IndexCondition))
    assert index.bracket.at_most == 9.3264284 and index.bracket.above is None
    assert any(isinstance(c, NoLinksCondition) and "other_health_cover" in c.registries for c in tadamon.conditions)
    # Illustrative thresholds (the grants') notify nobody.
    assert {(t.programme, t.at_most) for t in index_thresholds(date(2026, 3, 1))} == {
        ("amo-tadamon", 9.3264284),
        ("asd", 9.743001),
    }
