"""The fields a DCI query may name and the values each takes: every comparison a partner sends is
read here into a typed Comparison (dci/criteria.py) or refused with the spec's reason code and a
message naming the field, the value and the rule (docs/dci.md, "Query fields"). The query forms
that combine comparisons are dci/query_parse.py's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from sijill.dci.criteria import QUERY_FIELDS, Comparison, Operator, SearchRejectedError
from sijill.population.validation_rules import CIN_PATTERN

# A real question is a handful of conditions; these bounds keep a hostile or broken filter from
# turning into a query plan of thousands of nodes.
MAX_DEPTH = 8
MAX_COMPARISONS = 50
MAX_IN_VALUES = 200

ORDERED: frozenset[Operator] = frozenset({"gt", "lt", "eq", "ge", "le", "in"})
EQUALITY: frozenset[Operator] = frozenset({"eq", "in"})
MONGO_OPERATORS: dict[str, Operator] = {
    "$lt": "lt",
    "$lte": "le",
    "$gt": "gt",
    "$gte": "ge",
    "$eq": "eq",
    "$in": "in",
}
# Names other DCI implementations use for our fields (the spec's examples and samples).
ALIASES = {"gender": "sex", "demographic_info.sex": "sex", "demographic_info.person.sex": "sex"}
SEXES = ("male", "female")

_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_SEGMENT_RE = re.compile(r"[0-9A-Za-z]+")
IDCS_RE = re.compile(r"[0-9]{10}")
CIN_RE = re.compile(CIN_PATTERN)

Value = str | float | bool | tuple[str | float, ...]


def quoted(value: object) -> str:
    """The value as the partner sent it, cut short: messages are at most 999 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def filter_error(en: str, ar: str, fr: str) -> SearchRejectedError:
    return SearchRejectedError("rjct.filter.invalid", en, ar=ar, fr=fr)


def criteria_error(en: str, ar: str, fr: str) -> SearchRejectedError:
    return SearchRejectedError("rjct.search_criteria.invalid", en, ar=ar, fr=fr)


@dataclass(frozen=True, slots=True)
class Expected:
    """What a field's values must be, in the three languages of a message."""

    en: str
    ar: str
    fr: str


def _bad_value(field: str, value: object, expected: Expected) -> SearchRejectedError:
    shown = quoted(value)
    return filter_error(
        f"field {field!r}: value {shown} is not valid; expected {expected.en}",
        f"القيمة {shown} للحقل «{field}» غير صالحة: المطلوب {expected.ar}",
        f"champ « {field} » : la valeur {shown} n'est pas valide ; attendu : {expected.fr}",
    )


def number(field: str, raw: object, expected: Expected) -> float:
    if isinstance(raw, bool):
        raise _bad_value(field, raw, expected)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and _NUMBER_RE.fullmatch(raw.strip()):
        value = float(raw.strip())
    else:
        raise _bad_value(field, raw, expected)
    if not math.isfinite(value):
        raise _bad_value(field, raw, expected)
    return value


def _integer(field: str, raw: object, expected: Expected, low: int, high: int) -> int:
    if isinstance(raw, str) and _INTEGER_RE.fullmatch(raw.strip()):
        value = float(int(raw.strip()))
    else:
        value = number(field, raw, expected)
    if not value.is_integer() or not low <= value <= high:
        raise _bad_value(field, raw, expected)
    return int(value)


def _score(field: str, raw: object) -> float:
    return number(field, raw, Expected("a number such as 9.3264284", "عدد مثل 9.3264284", "un nombre comme 9.3264284"))


def _group_size(field: str, raw: object) -> float:
    expected = Expected("a whole number from 0 to 1000", "عدد صحيح من 0 إلى 1000", "un nombre entier de 0 à 1000")
    return _integer(field, raw, expected, 0, 1000)


def _age(field: str, raw: object) -> float:
    expected = Expected(
        "age in whole years, 0 to 150", "السن بالسنوات الكاملة، من 0 إلى 150", "l'âge en années, de 0 à 150"
    )
    return _integer(field, raw, expected, 0, 150)


def _code(segments: int, example: str) -> Callable[[str, object], str]:
    """A territory code of one level: `segments` dot-separated alphanumeric parts (docs/dci.md)."""
    expected = Expected(
        f"a code of {segments} dot-separated part(s), such as {example!r}",
        f"رمز من {segments} جزء(أجزاء) مفصولة بنقط، مثل «{example}»",
        f"un code en {segments} partie(s) séparées par des points, comme « {example} »",
    )

    def parse(field: str, raw: object) -> str:
        if not isinstance(raw, str):
            raise _bad_value(field, raw, expected)
        code = raw.strip()
        parts = code.split(".")
        if len(code) > 32 or len(parts) != segments or not all(_SEGMENT_RE.fullmatch(p) for p in parts):
            raise _bad_value(field, raw, expected)
        return code

    return parse


def _sex(field: str, raw: object) -> str:
    expected = Expected("'male' or 'female'", "«male» أو «female»", "« male » ou « female »")
    if not isinstance(raw, str) or raw.strip().lower() not in SEXES:
        raise _bad_value(field, raw, expected)
    return raw.strip().lower()


@cache
def programme_ids() -> tuple[str, ...]:
    """The programmes a partner may ask about: every shipped rule's id, read once per process."""
    from sijill.programmes.rules import programme_ids as ids
    from sijill.programmes.rules import shipped_rules

    return tuple(ids(shipped_rules()))


def _programme(field: str, raw: object) -> str:
    known = programme_ids()
    expected = Expected(
        f"a programme id among {', '.join(known)}",
        f"معرف برنامج من {'، '.join(known)}",
        f"un identifiant de programme parmi {', '.join(known)}",
    )
    if not isinstance(raw, str) or raw.strip() not in known:
        raise _bad_value(field, raw, expected)
    return raw.strip()


@dataclass(frozen=True, slots=True)
class FieldRule:
    operators: frozenset[Operator]
    parse: Callable[[str, object], str | float]


FIELD_RULES: dict[str, FieldRule] = {
    "poverty_score": FieldRule(ORDERED, _score),
    "group_size": FieldRule(ORDERED, _group_size),
    "region_code": FieldRule(EQUALITY, _code(1, "03")),
    "province_code": FieldRule(EQUALITY, _code(2, "03.02")),
    "commune_code": FieldRule(EQUALITY, _code(3, "03.02.001")),
    "annex_code": FieldRule(EQUALITY, _code(4, "03.02.001.01")),
    "age": FieldRule(ORDERED, _age),
    "sex": FieldRule(EQUALITY, _sex),
    "enrolled_in": FieldRule(EQUALITY, _programme),
}
assert tuple(FIELD_RULES) == QUERY_FIELDS


def _field(raw: object) -> str:
    name = ALIASES.get(raw, raw) if isinstance(raw, str) else raw
    if not isinstance(name, str) or name not in FIELD_RULES:
        known = ", ".join(QUERY_FIELDS)
        shown = quoted(raw)
        raise filter_error(
            f"unknown query field {shown}; known fields: {known}",
            f"حقل بحث غير معروف: {shown}؛ الحقول المعروفة: {known}",
            f"champ de recherche inconnu : {shown} ; champs connus : {known}",
        )
    return name


def _in_values(field: str, raw: object) -> list[object]:
    """`in` takes an array, a comma-separated string or `{"values": [...]}` (the spec's
    attribute_value may not be an array, so clients use the other two)."""
    values: object = raw
    if isinstance(raw, Mapping) and set(raw) == {"values"}:
        values = raw["values"]
    elif isinstance(raw, str):
        values = [part for part in raw.split(",") if part.strip()]
    if not isinstance(values, list) or not values or len(values) > MAX_IN_VALUES:
        shown = quoted(raw)
        raise filter_error(
            f"field {field!r}: operator 'in' takes 1 to {MAX_IN_VALUES} values as an array, a comma-separated "
            f'string or {{"values": [...]}}, not {shown}',
            f"الحقل «{field}»: العامل «in» يأخذ من 1 إلى {MAX_IN_VALUES} قيمة في مصفوفة أو نص مفصول بفواصل "
            f'أو {{"values": [...]}}، وليس {shown}',
            f"champ « {field} » : l'opérateur « in » prend de 1 à {MAX_IN_VALUES} valeurs en tableau, en texte "
            f'séparé par des virgules ou en {{"values": [...]}}, pas {shown}',
        )
    return values


class Budget:
    """Comparisons counted across the whole filter, however it is nested."""

    def __init__(self) -> None:
        self.comparisons = 0

    def spend(self) -> None:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise filter_error(
                f"the filter has more than {MAX_COMPARISONS} comparisons; split the search",
                f"يتضمن الشرط أكثر من {MAX_COMPARISONS} مقارنة؛ قسموا البحث",
                f"le filtre compte plus de {MAX_COMPARISONS} comparaisons ; divisez la recherche",
            )


def depth_checked(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise filter_error(
            f"the filter is nested more than {MAX_DEPTH} levels deep",
            f"الشرط متداخل بأكثر من {MAX_DEPTH} مستويات",
            f"le filtre est imbriqué sur plus de {MAX_DEPTH} niveaux",
        )


def comparison(attribute: object, operator: object, value: object, budget: Budget | None = None) -> Comparison:
    """One checked `attribute operator value` (operator as the predicate form spells it)."""
    field = _field(attribute)
    rule = FIELD_RULES[field]
    if operator not in rule.operators:
        allowed = ", ".join(sorted(rule.operators))
        shown = quoted(operator)
        raise filter_error(
            f"operator {shown} is not allowed on field {field!r}; allowed: {allowed}",
            f"العامل {shown} غير مسموح به للحقل «{field}»؛ المسموح: {allowed}",
            f"l'opérateur {shown} n'est pas permis pour le champ « {field} » ; permis : {allowed}",
        )
    if budget is not None:
        budget.spend()
    op: Operator = operator  # narrowed by the membership test above
    parsed: Value
    if op == "in":
        parsed = tuple(dict.fromkeys(rule.parse(field, v) for v in _in_values(field, value)))
    else:
        parsed = rule.parse(field, value)
    return Comparison(field, op, parsed)
