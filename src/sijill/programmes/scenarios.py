"""Scenario files: household situations with the decision and amount policy staff expect.

A scenario file names a programme and a day, then lists situations (a household, its members, the
registries each member is in) and what the rules must decide. `sijill programmes scenarios FILE`
runs them against the rule files; the test suite runs the shipped ones. See
docs/programme-rules.md for the format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from sijill.programmes.decide import ELIGIBLE, HOUSEHOLD_SCHEMA, MEMBER_SCHEMA, codes, decide
from sijill.programmes.inputs import in_decision_order, with_ages
from sijill.programmes.rules import rule_in_force, shipped_rules
from sijill.rules_files import RuleDocument, Where, read_rule_file

_MEMBER_DEFAULTS: dict[str, Any] = {
    "sex": "F",
    "education": "primary",
    "in_school": False,
    "occupation": None,
    "disability": False,
    "marital_status": None,
}


@dataclass
class Outcome:
    name: str
    line: int | None
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def _frames(doc: RuleDocument, where: Where, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    situation = doc.mapping(where)
    household = {"household_id": 1, "declaration_id": 1, "milieu": "urban", "region": "03", "index": None}
    household.update(situation.get("household") or {})
    members, links = [], []
    for number, given in enumerate(doc.sequence((*where, "members")), start=1):
        member = {**_MEMBER_DEFAULTS, **{k: v for k, v in given.items() if k != "registries"}}
        member.update(household_id=1, person_id=number, is_declarant=number == 1)
        members.append(member)
        links += [
            {"person_id": number, "registry": r, "external_record_id": number} for r in given.get("registries", [])
        ]
    link_schema = {"person_id": pl.Int64(), "registry": pl.String(), "external_record_id": pl.Int64()}
    schema = {k: v for k, v in MEMBER_SCHEMA.items() if k not in ("age", "age_months")}
    member_frame = in_decision_order(with_ages(pl.DataFrame(members, schema=schema), as_of))
    return (
        pl.DataFrame([household], schema=HOUSEHOLD_SCHEMA),
        member_frame,
        pl.DataFrame(links, schema=link_schema),
    )


def _compare(expected: dict[str, Any], decision: dict[str, Any], lines: pl.DataFrame) -> list[str]:
    problems = []
    if "status" in expected and decision["status"] != expected["status"]:
        problems.append(f"status {decision['status']} (reasons {decision['reasons']}), expected {expected['status']}")
    reasons = codes(decision["reasons"])
    if "reasons" in expected and reasons != expected["reasons"]:
        problems.append(f"reasons {reasons}, expected {expected['reasons']}")
    for key in ("amount", "amount_once"):
        if key in expected and decision[key] != expected[key]:
            problems.append(f"{key} {decision[key]}, expected {expected[key]}")
    for line_id, amounts in (expected.get("lines") or {}).items():
        found = lines.filter(pl.col("line") == line_id).get_column("amount").to_list()
        if found != [float(a) for a in amounts]:
            problems.append(f"line {line_id}: {found}, expected {amounts}")
    return problems


def run_scenarios(path: Path) -> list[Outcome]:
    """Each situation of the file, decided by the rule in force on its day, against what it expects."""
    doc = read_rule_file(path)
    doc.only_keys((), {"programme", "as_of", "scenarios"})
    as_of = doc.day(("as_of",))
    rule = rule_in_force(shipped_rules(), doc.string(("programme",)), as_of)
    outcomes = []
    for index, _ in enumerate(doc.sequence(("scenarios",))):
        where: Where = ("scenarios", index)
        doc.only_keys(where, {"name", "household", "members", "expect"})
        households, members, links = _frames(doc, where, as_of)
        result = decide(rule, households, members, links)
        decision = result.decisions.row(0, named=True)
        expected = doc.mapping((*where, "expect"))
        outcome = Outcome(name=doc.string((*where, "name")), line=doc.line(where))
        outcome.problems = _compare(expected, decision, result.lines)
        if decision["status"] != ELIGIBLE and expected.get("lines"):
            outcome.problems.append("lines expected for a household that is not eligible")
        outcomes.append(outcome)
    return outcomes
