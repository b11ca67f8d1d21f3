"""The RSU questionnaire as data: its questions, what is computed from the members, its checks.

Loaded from `rules/questionnaires/*.yaml`; the index models refer to its variables by name, so a
model that names an unknown variable or category is refused when it is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import polars as pl

from sijill.errors import Text
from sijill.rules_files import RuleDocument, Where, read_rule_file, rule_files

Kind = Literal["category", "integer", "number", "boolean"]
KINDS: tuple[Kind, ...] = ("category", "integer", "number", "boolean")
MILIEUS = ("urban", "rural")
# Facts of a member that come from the register, not from the form.
REGISTER_MEMBER_FIELDS = ("sex", "age")
SEXES = ("M", "F")


@dataclass(frozen=True)
class Count:
    """Members meeting every condition: an age range and member fields' values."""

    age: tuple[int, int | None] | None
    conditions: tuple[tuple[str, tuple[Any, ...]], ...]


@dataclass(frozen=True)
class OfDeclarant:
    field: str


@dataclass(frozen=True)
class Highest:
    """The highest category (in the field's order) among members in an age range."""

    field: str
    age: tuple[int, int | None] | None


@dataclass(frozen=True)
class Ratio:
    numerator: str
    denominator: str


Derivation = Count | OfDeclarant | Highest | Ratio


@dataclass(frozen=True)
class Question:
    name: str
    kind: Kind
    label: Text
    categories: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False
    milieus: tuple[str, ...] = MILIEUS
    derive: Derivation | None = None
    line: int | None = None

    def dtype(self) -> pl.DataType:
        if self.kind == "category":
            return pl.Enum(list(self.categories))
        if self.kind == "boolean":
            return pl.Boolean()
        if self.kind == "integer":
            return pl.Int64()
        return pl.Float64()


@dataclass(frozen=True)
class Bound:
    op: Literal["at_least", "at_most", "equals"]
    # A number or boolean, or the name of another variable.
    value: float | bool | str


@dataclass(frozen=True)
class Check:
    id: str
    when: tuple[tuple[str, tuple[Any, ...]], ...]
    require: tuple[tuple[str, Bound], ...]
    message: Text

    def variables(self) -> set[str]:
        names = {name for name, _ in self.when} | {name for name, _ in self.require}
        return names | {b.value for _, b in self.require if isinstance(b.value, str)}


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    effective_from: date
    source: str
    status: str
    member_fields: dict[str, Question]
    variables: dict[str, Question]
    controls: dict[str, Question]
    checks: tuple[Check, ...]
    path: Path = field(compare=False)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def variables_for(self, milieu: str) -> list[Question]:
        return [q for q in self.variables.values() if milieu in q.milieus]

    def answers_for(self, milieu: str) -> list[Question]:
        """What the form asks of the household (variables not computed from members, and controls)."""
        asked = [q for q in self.variables_for(milieu) if q.derive is None]
        return asked + [q for q in self.controls.values() if milieu in q.milieus]

    def checks_for(self, milieu: str) -> list[Check]:
        present = {q.name for q in self.variables_for(milieu)} | set(self.controls)
        return [c for c in self.checks if c.variables() <= present]

    def question(self, name: str) -> Question:
        return self.variables.get(name) or self.controls[name]


def _text(doc: RuleDocument, where: Where, default_en: str) -> Text:
    doc.only_keys(where, {"ar", "fr", "en"})
    return Text(ar=doc.string((*where, "ar")), fr=doc.string((*where, "fr")), en=doc.get((*where, "en"), default_en))


def _age_range(doc: RuleDocument, where: Where) -> tuple[int, int | None]:
    value = doc.sequence(where)
    ok = len(value) == 2 and isinstance(value[0], int) and (value[1] is None or isinstance(value[1], int))
    if not ok:
        raise doc.error(where, Text("السن: [من، إلى] بأعداد صحيحة", "âge : [de, à] en entiers", "age: [from, to]"))
    return int(value[0]), value[1]


def _unknown(doc: RuleDocument, where: Where, what: str, value: object, known: list[str]) -> Exception:
    names = ", ".join(known)
    return doc.error(
        where,
        Text(
            ar=f"{what} غير معروف: {value}؛ المعروف: {names}",
            fr=f"{what} inconnu : {value} ; connus : {names}",
            en=f"unknown {what} {value!r}; known: {names}",
        ),
    )


def _derivation(doc: RuleDocument, where: Where, members: dict[str, Question]) -> Derivation:
    spec = doc.mapping(where)
    if len(spec) < 1:
        raise doc.error(where, Text("اشتقاق فارغ", "dérivation vide", "empty derivation"))
    member_names = [*REGISTER_MEMBER_FIELDS, *members]
    if "count" in spec:
        doc.only_keys(where, {"count"})
        conditions = doc.mapping((*where, "count"))
        age = _age_range(doc, (*where, "count", "age")) if "age" in conditions else None
        rest: list[tuple[str, tuple[Any, ...]]] = []
        for name, wanted in conditions.items():
            if name == "age":
                continue
            if name not in members:
                raise _unknown(doc, (*where, "count", name), "member field", name, list(members))
            values = tuple(wanted) if isinstance(wanted, list) else (wanted,)
            _check_values(doc, (*where, "count", name), members[name], values)
            rest.append((name, values))
        return Count(age=age, conditions=tuple(rest))
    if "declarant" in spec:
        doc.only_keys(where, {"declarant"})
        name = doc.string((*where, "declarant"))
        if name not in member_names:
            raise _unknown(doc, (*where, "declarant"), "member field", name, member_names)
        return OfDeclarant(name)
    if "highest" in spec:
        doc.only_keys(where, {"highest", "age"})
        name = doc.string((*where, "highest"))
        if name not in members or members[name].kind != "category":
            raise _unknown(doc, (*where, "highest"), "member category field", name, list(members))
        return Highest(name, _age_range(doc, (*where, "age")) if "age" in spec else None)
    if "ratio" in spec:
        doc.only_keys(where, {"ratio"})
        pair = doc.sequence((*where, "ratio"))
        if len(pair) != 2 or not all(isinstance(p, str) for p in pair):
            raise doc.error(where, Text("نسبة: [بسط، مقام]", "ratio : [numérateur, dénominateur]", "ratio: [a, b]"))
        return Ratio(pair[0], pair[1])
    raise _unknown(doc, where, "derivation", ", ".join(spec), ["count", "declarant", "highest", "ratio"])


def _check_values(doc: RuleDocument, where: Where, question: Question, values: tuple[Any, ...]) -> None:
    for value in values:
        if question.kind == "category" and value not in question.categories:
            raise _unknown(doc, where, "category", value, list(question.categories))
        if question.kind == "boolean" and not isinstance(value, bool):
            raise doc.error(where, Text("قيمة منطقية منتظرة", "booléen attendu", "a boolean is expected"))


def _question(doc: RuleDocument, where: Where, members: dict[str, Question] | None) -> Question:
    allowed = {"name", "kind", "label", "categories", "min", "max", "optional", "milieus", "derive"}
    doc.only_keys(where, allowed)
    name = doc.string((*where, "name")) if "name" in doc.mapping(where) else str(where[-1])
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
        # Names become column names in batch SQL and Polars plans.
        raise doc.error(
            where,
            Text(
                f"اسم غير صالح: {name}",
                f"nom invalide : {name}",
                f"name {name!r} must be lower-case letters, digits and underscores",
            ),
        )
    kind = doc.string((*where, "kind"))
    if kind not in KINDS:
        raise _unknown(doc, (*where, "kind"), "kind", kind, list(KINDS))
    categories: tuple[str, ...] = ()
    if kind == "category":
        raw = doc.sequence((*where, "categories"))
        categories = tuple(str(c) for c in raw)
        if len(set(categories)) != len(categories) or not categories:
            raise doc.error(
                (*where, "categories"),
                Text("فئات مكررة أو فارغة", "catégories vides ou en double", "categories empty or repeated"),
            )
    milieus = tuple(doc.get((*where, "milieus"), list(MILIEUS)))
    for milieu in milieus:
        if milieu not in MILIEUS:
            raise _unknown(doc, (*where, "milieus"), "milieu", milieu, list(MILIEUS))
    derive = (
        _derivation(doc, (*where, "derive"), members)
        if members is not None and "derive" in doc.mapping(where)
        else None
    )
    return Question(
        name=name,
        kind=kind,
        label=_text(doc, (*where, "label"), name),
        categories=categories,
        minimum=doc.number((*where, "min")) if "min" in doc.mapping(where) else None,
        maximum=doc.number((*where, "max")) if "max" in doc.mapping(where) else None,
        optional=bool(doc.get((*where, "optional"), False)),
        milieus=milieus,
        derive=derive,
        line=doc.line(where),
    )


def _check(doc: RuleDocument, where: Where, known: dict[str, Question]) -> Check:
    doc.only_keys(where, {"id", "when", "require", "message"})
    when: list[tuple[str, tuple[Any, ...]]] = []
    for name, values in (doc.get((*where, "when")) or {}).items():
        if name not in known:
            raise _unknown(doc, (*where, "when", name), "variable", name, sorted(known))
        as_tuple = tuple(values) if isinstance(values, list) else (values,)
        _check_values(doc, (*where, "when", name), known[name], as_tuple)
        when.append((name, as_tuple))
    require: list[tuple[str, Bound]] = []
    for name, bound in doc.mapping((*where, "require")).items():
        place = (*where, "require", name)
        if name not in known:
            raise _unknown(doc, place, "variable", name, sorted(known))
        if not isinstance(bound, dict) or len(bound) != 1:
            raise doc.error(
                place,
                Text(
                    "شرط واحد: at_least أو at_most أو equals",
                    "une condition : at_least, at_most ou equals",
                    "one of at_least, at_most, equals",
                ),
            )
        ((op, value),) = bound.items()
        if op not in ("at_least", "at_most", "equals"):
            raise _unknown(doc, (*place, op), "condition", op, ["at_least", "at_most", "equals"])
        if isinstance(value, str) and value not in known:
            raise _unknown(doc, (*place, op), "variable", value, sorted(known))
        require.append((name, Bound(op, value)))
    return Check(
        id=doc.string((*where, "id")),
        when=tuple(when),
        require=tuple(require),
        message=_text(doc, (*where, "message"), doc.string((*where, "id"))),
    )


def parse_questionnaire(doc: RuleDocument) -> Questionnaire:
    doc.only_keys(
        (), {"id", "version", "effective_from", "status", "source", "member_fields", "variables", "controls", "checks"}
    )
    members = {name: _question(doc, ("member_fields", name), None) for name in doc.mapping(("member_fields",))}
    variables: dict[str, Question] = {}
    for index, _ in enumerate(doc.sequence(("variables",))):
        question = _question(doc, ("variables", index), members)
        if question.name in variables:
            raise doc.error(
                ("variables", index),
                Text(
                    f"متغير مكرر: {question.name}",
                    f"variable en double : {question.name}",
                    f"variable {question.name} defined twice",
                ),
            )
        variables[question.name] = question
    for question in variables.values():
        if isinstance(question.derive, Ratio):
            for part in (question.derive.numerator, question.derive.denominator):
                if part not in variables:
                    raise _unknown(doc, ("variables",), "variable", part, sorted(variables))
    controls = {}
    for index, _ in enumerate(doc.get(("controls",)) or []):
        control = _question(doc, ("controls", index), None)
        controls[control.name] = control
    known = {**variables, **controls}
    checks = tuple(_check(doc, ("checks", i), known) for i, _ in enumerate(doc.get(("checks",)) or []))
    return Questionnaire(
        id=doc.string(("id",)),
        version=str(doc.at(("version",))),
        effective_from=doc.day(("effective_from",)),
        source=doc.string(("source",)),
        status=str(doc.get(("status",), "official")),
        member_fields=members,
        variables=variables,
        controls=controls,
        checks=checks,
        path=doc.path,
    )


def load_questionnaire(path: Path) -> Questionnaire:
    return parse_questionnaire(read_rule_file(path))


def shipped_questionnaires() -> dict[str, Questionnaire]:
    """Every questionnaire under rules/questionnaires, by `id@version`."""
    found = [load_questionnaire(path) for path in rule_files("questionnaires")]
    return {q.ref: q for q in found}
