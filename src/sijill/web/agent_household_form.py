"""The household form as the questionnaire defines it: one input per question the household is
asked (for the annex's milieu) and per member field, read back into the shape the social
registry's schemas take, with every typing error placed beside its input.

The first member row is the head of the household, who declares: the service wants the declarant
to be a member whose relationship is "head", so the page asks for it once instead of twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sijill.scoring.questionnaire import Highest, OfDeclarant, Question, Questionnaire
from sijill.social_registry.schemas import DeclarationOut, MemberIn
from sijill.web.forms import FormErrors
from sijill.web.i18n import labels, pick, translate

MEMBER_ROWS = 6
MAX_ROWS = 60
MORE_ROWS = 3
HEAD = "head"
# Fields of a member the form asks (the questionnaire's, as the schema takes them), IDCS first.
MEMBER_FIELDS = tuple(name for name in MemberIn.model_fields if name != "idcs")
HOUSEHOLD_FIELDS = ("annex_code", "address", "declared_on")
_MEMBER_FIELD = re.compile(r"^members\.(\d+)(\..+)?$")


@dataclass(frozen=True)
class Input:
    """One input of the form: a select (`options`), a text box or a check box."""

    name: str
    label: str
    kind: str
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False
    numeric: bool = False


@dataclass
class ParsedForm:
    payload: dict[str, Any]
    errors: FormErrors
    # The form row of each member sent to the service, in order: its errors come back by position.
    rows_of: list[int] = field(default_factory=list)


def choice_label(language: str, question: str, category: str) -> str:
    key = f"household.choice.{question}.{category}"
    return translate(language, key) if key in labels() else category


def _source_field(question: Question) -> str:
    """Categories of a computed variable are those of the member field it comes from."""
    if isinstance(question.derive, OfDeclarant | Highest):
        return question.derive.field
    return question.name


def shown_value(language: str, question: Question | None, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return translate(language, "app.yes" if value else "app.no")
    if isinstance(value, float):
        return f"{value:g}"
    if question is not None and question.kind == "category":
        return choice_label(language, _source_field(question), str(value))
    return str(value)


def _input(language: str, name: str, question: Question, *, relationships: Iterable[str] | None = None) -> Input:
    label = pick(language, question.label)
    if question.kind == "boolean":
        return Input(name, label, "check")
    if question.kind == "category":
        categories = relationships if relationships is not None else question.categories
        options = (("", "—"), *((c, choice_label(language, question.name, c)) for c in categories))
        return Input(name, label, "select", options, required=not question.optional)
    return Input(name, label, "text", required=not question.optional, numeric=True)


def answer_inputs(questionnaire: Questionnaire, milieu: str, language: str) -> list[Input]:
    return [_input(language, f"answers.{q.name}", q) for q in questionnaire.answers_for(milieu)]


def member_inputs(questionnaire: Questionnaire, row: int, language: str) -> list[Input]:
    """A member row's inputs after its IDCS; the head's row has no relationship to choose."""
    found = []
    for name in MEMBER_FIELDS:
        question = questionnaire.member_fields[name]
        if name == "relationship":
            if row == 0:
                continue
            others = [c for c in question.categories if c != HEAD]
            found.append(_input(language, f"members.{row}.{name}", question, relationships=others))
        else:
            found.append(_input(language, f"members.{row}.{name}", question))
    return found


def row_count(form: Mapping[str, Any], wanted_more: bool) -> int:
    raw = form.get("rows")
    rows = int(raw) if isinstance(raw, str) and raw.isdigit() else MEMBER_ROWS
    return max(1, min(MAX_ROWS, rows + (MORE_ROWS if wanted_more else 0)))


def input_names(questionnaire: Questionnaire, milieu: str, rows: int) -> list[str]:
    names = [*HOUSEHOLD_FIELDS, *(i.name for i in answer_inputs(questionnaire, milieu, "fr"))]
    for row in range(rows):
        names.append(f"members.{row}.idcs")
        names += [i.name for i in member_inputs(questionnaire, row, "fr")]
    return names


def _typed(question: Question, text: str, name: str, language: str, errors: FormErrors) -> Any:
    if question.kind == "boolean":
        return text == "true"
    if question.kind == "integer":
        if re.fullmatch(r"-?\d{1,9}", text):
            return int(text)
        errors.add(name, translate(language, "form.error.integer"))
        return None
    if question.kind == "number":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            errors.add(name, translate(language, "form.error.number"))
            return None
    return text


def _member(
    questionnaire: Questionnaire, row: int, values: dict[str, str], language: str, errors: FormErrors
) -> dict[str, Any] | None:
    """A member row as the schema takes it; None when the row was left empty."""
    prefix = f"members.{row}."
    if not any(name.startswith(prefix) for name in values):
        if row == 0:
            errors.add(f"{prefix}idcs", translate(language, "household.error.no_head"))
        return None
    member: dict[str, Any] = {"idcs": values.get(f"{prefix}idcs", "")}
    if not member["idcs"]:
        errors.add(f"{prefix}idcs", translate(language, "household.error.row_without_idcs"))
        return None
    for name in MEMBER_FIELDS:
        question = questionnaire.member_fields[name]
        text = values.get(prefix + name, "")
        if name == "relationship" and row == 0:
            member[name] = HEAD
        elif question.kind == "boolean":
            member[name] = text == "true"
        elif text:
            member[name] = _typed(question, text, prefix + name, language, errors)
    return member


def parse_household(
    questionnaire: Questionnaire, milieu: str, rows: int, values: dict[str, str], language: str
) -> ParsedForm:
    """The payload of HouseholdIn / DeclarationUpdateIn (without what only one of them has)."""
    errors = FormErrors()
    answers: dict[str, Any] = {}
    for question in questionnaire.answers_for(milieu):
        name = f"answers.{question.name}"
        text = values.get(name, "")
        if question.kind == "boolean":
            answers[question.name] = text == "true"
        elif text:
            answers[question.name] = _typed(question, text, name, language, errors)
    members = []
    rows_of = []
    for row in range(rows):
        member = _member(questionnaire, row, values, language, errors)
        if member is not None:
            members.append(member)
            rows_of.append(row)
    payload: dict[str, Any] = {
        "channel": "annex",
        "declarant_idcs": values.get("members.0.idcs", ""),
        "members": members,
        "answers": answers,
    }
    for name in ("address", "declared_on"):
        if name in values:
            payload[name] = values[name]
    return ParsedForm(payload, errors, rows_of)


def placed(errors: FormErrors, rows_of: list[int], shown: set[str]) -> FormErrors:
    """Errors by the form's own names: a member's position in the list sent becomes its row, the
    declarant is the head's IDCS, and what no input shows (a computed variable) goes on top."""
    out = FormErrors(general=list(errors.general))
    for name, messages in errors.by_field.items():
        target = name
        match = _MEMBER_FIELD.match(name)
        if name == "declarant_idcs":
            target = "members.0.idcs"
        elif match and int(match[1]) < len(rows_of):
            target = f"members.{rows_of[int(match[1])]}{match[2] or '.idcs'}"
        if target != name and out.of(target):
            # The same input already says what is wrong (the head's IDCS is also the declarant's).
            continue
        for message in messages:
            out.add(target if target in shown else None, message)
    return out


def values_of_declaration(declaration: DeclarationOut, address: str) -> dict[str, str]:
    """The current declaration as the form's typed values, the declarant on the first row."""
    values: dict[str, str] = {"address": address}
    for name, answer in declaration.answers.items():
        if isinstance(answer, bool):
            if answer:
                values[f"answers.{name}"] = "true"
        elif answer is not None:
            values[f"answers.{name}"] = f"{answer:g}" if isinstance(answer, float) else str(answer)
    ordered = sorted(declaration.members, key=lambda m: m.idcs != declaration.declarant_idcs)
    for row, member in enumerate(ordered):
        values[f"members.{row}.idcs"] = member.idcs
        for name in MEMBER_FIELDS:
            given = getattr(member, name)
            if isinstance(given, bool):
                if given:
                    values[f"members.{row}.{name}"] = "true"
            elif given is not None and not (row == 0 and name == "relationship"):
                values[f"members.{row}.{name}"] = str(given)
    return values
