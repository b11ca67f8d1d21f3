"""Workflows as data (`rules/workflows/*.yaml`): which programme a file is checked against, which
checks run in which order, who the operator is and how long each step may take.

AMO Tadamon, ASD and DAAM applications all run on the same engine; only these files differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sijill.errors import SijillError, Text
from sijill.programmes.rules import programme_ids, shipped_rules
from sijill.rules_files import RuleDocument, RuleFileError, read_rule_file, rule_files

_KEYS = {
    "id",
    "name",
    "source",
    "programme",
    "operator",
    "operator_days",
    "validation_days",
    "receipt_prefix",
    "checks",
    "annex_validation",
}


@dataclass(frozen=True)
class Workflow:
    id: str
    name: Text
    source: str
    programme: str
    operator: str
    # The operator's deadline from transmission, and how long a file may wait at the annex
    # before the daily report names it.
    operator_days: int
    validation_days: int
    receipt_prefix: str
    checks: tuple[str, ...]
    # Whether an agent validates each checked file at the annex before it goes to the operator;
    # without that step a file that passes every check is validated by the checks themselves.
    annex_validation: bool = True


def _days(doc: RuleDocument, key: str) -> int:
    value = doc.number((key,))
    if value != int(value) or not 0 < value <= 365:
        raise doc.error(
            (key,),
            Text("عدد أيام بين 1 و365", "un nombre de jours entre 1 et 365", f"{key}: whole days between 1 and 365"),
        )
    return int(value)


def parse_workflow(doc: RuleDocument) -> Workflow:
    from sijill.enrollment.checks import CHECKS

    doc.only_keys((), _KEYS)
    doc.identifiers("id", "operator")
    programme = doc.string(("programme",))
    known = programme_ids(shipped_rules())
    if programme not in known:
        raise doc.error(
            ("programme",),
            Text(
                f"برنامج غير معروف: {programme}؛ المعروف: {', '.join(known)}",
                f"programme inconnu : {programme} ; connus : {', '.join(known)}",
                f"unknown programme {programme}; known: {', '.join(known)}",
            ),
        )
    prefix = doc.string(("receipt_prefix",))
    if not re.fullmatch(r"[A-Z]{2}", prefix):
        raise doc.error(
            ("receipt_prefix",), Text("حرفان لاتينيان كبيران", "deux lettres majuscules", "two capital letters")
        )
    checks = doc.sequence(("checks",))
    for index, name in enumerate(checks):
        if name not in CHECKS:
            raise doc.error(
                ("checks", index),
                Text(
                    f"فحص غير معروف: {name}؛ المعروف: {', '.join(CHECKS)}",
                    f"contrôle inconnu : {name} ; connus : {', '.join(CHECKS)}",
                    f"unknown check {name}; known: {', '.join(CHECKS)}",
                ),
            )
    name = doc.mapping(("name",))
    annex_validation = doc.get(("annex_validation",), True)
    if not isinstance(annex_validation, bool):
        raise doc.error(("annex_validation",), Text("true أو false", "true ou false", "true or false"))
    return Workflow(
        id=doc.string(("id",)),
        name=Text(ar=str(name.get("ar", "")), fr=str(name.get("fr", "")), en=str(name.get("fr", ""))),
        source=doc.string(("source",)),
        programme=programme,
        operator=doc.string(("operator",)),
        operator_days=_days(doc, "operator_days"),
        validation_days=_days(doc, "validation_days"),
        receipt_prefix=prefix,
        checks=tuple(checks),
        annex_validation=annex_validation,
    )


def load_workflows(paths: list[Path]) -> dict[str, Workflow]:
    found: dict[str, Workflow] = {}
    prefixes: dict[str, str] = {}
    for path in paths:
        doc = read_rule_file(path)
        workflow = parse_workflow(doc)
        for taken, what in ((found, workflow.id), (prefixes, workflow.receipt_prefix)):
            if what in taken:
                raise RuleFileError(
                    path,
                    doc.line(("id",)),
                    Text(f"مكرر: {what}", f"déjà défini : {what}", f"{what} is already defined by another file"),
                )
        found[workflow.id] = workflow
        prefixes[workflow.receipt_prefix] = workflow.id
    return found


@cache
def shipped_workflows() -> dict[str, Workflow]:
    return load_workflows(list(rule_files("workflows")))


def workflow_named(name: str) -> Workflow:
    workflows = shipped_workflows()
    if name not in workflows:
        raise SijillError(
            code="unknown_workflow",
            status=422,
            field="workflow",
            value=name,
            message=Text(f"مسطرة غير معروفة: {name}", f"Procédure inconnue : {name}", f"unknown workflow {name}"),
            fix=Text(
                f"المساطر المتاحة: {', '.join(workflows)}",
                f"Procédures disponibles : {', '.join(workflows)}",
                f"available: {', '.join(workflows)}",
            ),
        )
    return workflows[name]


def workflow_of_receipt(receipt: str) -> Workflow | None:
    return next((w for w in shipped_workflows().values() if receipt.startswith(w.receipt_prefix)), None)
