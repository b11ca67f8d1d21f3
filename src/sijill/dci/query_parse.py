"""The three DCI query forms read into criteria (dci/criteria.py); sort and page are dci/paging.py's.

Everything a partner sends is checked here, before any SQL: an unknown field, an operator a field
does not take, a value of the wrong type or shape, or a filter too big to be a real question is
refused with the spec's reason code and a message naming the field, the value and the rule
(docs/dci.md, "Query fields"). What comes out is only ever well-typed criteria, so search.py can
compile them without checking again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from sijill.dci.criteria import (
    ID_TYPES,
    QUERY_FIELDS,
    Combined,
    Comparison,
    Condition,
    Filter,
    IdLookup,
    Operator,
    SearchRejectedError,
)
from sijill.population.validation import normalize_cin
from sijill.population.validation_rules import CIN_PATTERN
from sijill.social_registry.models import household_id_of

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
_IDCS_RE = re.compile(r"[0-9]{10}")
_CIN_RE = re.compile(CIN_PATTERN)

Value = str | float | bool | tuple[str | float, ...]


def _shown(value: object) -> str:
    """The value as the partner sent it, cut short: messages are at most 999 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _filter_error(en: str, ar: str, fr: str) -> SearchRejectedError:
    return SearchRejectedError("rjct.filter.invalid", en, ar=ar, fr=fr)


def _criteria_error(en: str, ar: str, fr: str) -> SearchRejectedError:
    return SearchRejectedError("rjct.search_criteria.invalid", en, ar=ar, fr=fr)


@dataclass(frozen=True, slots=True)
class Expected:
    """What a field's values must be, in the three languages of a message."""

    en: str
    ar: str
    fr: str


def _bad_value(field: str, value: object, expected: Expected) -> SearchRejectedError:
    shown = _shown(value)
    return _filter_error(
        f"field {field!r}: value {shown} is not valid; expected {expected.en}",
        f"القيمة {shown} للحقل «{field}» غير صالحة: المطلوب {expected.ar}",
        f"champ « {field} » : la valeur {shown} n'est pas valide ; attendu : {expected.fr}",
    )


def _number(field: str, raw: object, expected: Expected) -> float:
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
        value = _number(field, raw, expected)
    if not value.is_integer() or not low <= value <= high:
        raise _bad_value(field, raw, expected)
    return int(value)


def _score(field: str, raw: object) -> float:
    return _number(field, raw, Expected("a number such as 9.3264284", "عدد مثل 9.3264284", "un nombre comme 9.3264284"))


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
        shown = _shown(raw)
        raise _filter_error(
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
        shown = _shown(raw)
        raise _filter_error(
            f"field {field!r}: operator 'in' takes 1 to {MAX_IN_VALUES} values as an array, a comma-separated "
            f'string or {{"values": [...]}}, not {shown}',
            f"الحقل «{field}»: العامل «in» يأخذ من 1 إلى {MAX_IN_VALUES} قيمة في مصفوفة أو نص مفصول بفواصل "
            f'أو {{"values": [...]}}، وليس {shown}',
            f"champ « {field} » : l'opérateur « in » prend de 1 à {MAX_IN_VALUES} valeurs en tableau, en texte "
            f'séparé par des virgules ou en {{"values": [...]}}, pas {shown}',
        )
    return values


class _Budget:
    """Comparisons counted across the whole filter, however it is nested."""

    def __init__(self) -> None:
        self.comparisons = 0

    def spend(self) -> None:
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise _filter_error(
                f"the filter has more than {MAX_COMPARISONS} comparisons; split the search",
                f"يتضمن الشرط أكثر من {MAX_COMPARISONS} مقارنة؛ قسموا البحث",
                f"le filtre compte plus de {MAX_COMPARISONS} comparaisons ; divisez la recherche",
            )


def _depth_checked(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _filter_error(
            f"the filter is nested more than {MAX_DEPTH} levels deep",
            f"الشرط متداخل بأكثر من {MAX_DEPTH} مستويات",
            f"le filtre est imbriqué sur plus de {MAX_DEPTH} niveaux",
        )


def comparison(attribute: object, operator: object, value: object, budget: _Budget | None = None) -> Comparison:
    """One checked `attribute operator value` (operator as the predicate form spells it)."""
    field = _field(attribute)
    rule = FIELD_RULES[field]
    if operator not in rule.operators:
        allowed = ", ".join(sorted(rule.operators))
        shown = _shown(operator)
        raise _filter_error(
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


# --- idtype-value -------------------------------------------------------------------------------


def _id_value(raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        shown = _shown(raw)
        raise _criteria_error(
            f"query.value must be a string or a number, not {shown}",
            f"يجب أن تكون query.value نصا أو عددا، وليس {shown}",
            f"query.value doit être un texte ou un nombre, pas {shown}",
        )
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _bad_id(id_type: str, value: str, expected: Expected) -> SearchRejectedError:
    shown = _shown(value)
    return _criteria_error(
        f"query.value {shown} is not a valid {id_type}: expected {expected.en}",
        f"القيمة {shown} ليست {id_type} صالحا: المطلوب {expected.ar}",
        f"la valeur {shown} n'est pas un {id_type} valide : attendu {expected.fr}",
    )


def _id_lookup(query: object) -> IdLookup:
    if not isinstance(query, Mapping) or "type" not in query or "value" not in query:
        raise _criteria_error(
            'an idtype-value query is an object {"type": ..., "value": ...}',
            'استعلام idtype-value هو كائن {"type": ..., "value": ...}',
            'une requête idtype-value est un objet {"type": ..., "value": ...}',
        )
    id_type = query["type"].strip().upper() if isinstance(query["type"], str) else None
    if id_type not in ID_TYPES:
        known = ", ".join(ID_TYPES)
        shown = _shown(query["type"])
        raise _criteria_error(
            f"unknown identifier type {shown}; known: {known}",
            f"نوع معرف غير معروف: {shown}؛ المعروف: {known}",
            f"type d'identifiant inconnu : {shown} ; connus : {known}",
        )
    value = _id_value(query["value"])
    if id_type in ("IDCS", "UIN"):
        if not _IDCS_RE.fullmatch(value):
            raise _bad_id(id_type, value, Expected("10 digits", "10 أرقام", "10 chiffres"))
    elif id_type == "CIN":
        cin = normalize_cin(value)
        if cin is None or not _CIN_RE.fullmatch(cin):
            raise _bad_id(
                id_type,
                value,
                Expected(
                    "1 or 2 letters then 1 to 6 digits",
                    "حرف أو حرفان ثم من 1 إلى 6 أرقام",
                    "1 ou 2 lettres puis 1 à 6 chiffres",
                ),
            )
        value = cin
    else:
        value = value.upper()
        if household_id_of(value) is None:
            raise _bad_id(
                id_type,
                value,
                Expected(
                    "HH and 9 digits, such as HH000000123",
                    "HH متبوعة بـ 9 أرقام، مثل HH000000123",
                    "HH et 9 chiffres, comme HH000000123",
                ),
            )
    return IdLookup(id_type, value)


# --- predicate ----------------------------------------------------------------------------------

_CONDITIONS = ("and", "or", "not")


def _predicate_expression(item: Mapping[object, object], key: str, where: str, budget: _Budget) -> Comparison:
    part = item.get(key)
    if not isinstance(part, Mapping) or not {"attribute_name", "operator", "attribute_value"} <= set(part):
        raise _criteria_error(
            f"{where}.{key} must be an object with attribute_name, operator and attribute_value",
            f"يجب أن يكون {where}.{key} كائنا يتضمن attribute_name وoperator وattribute_value",
            f"{where}.{key} doit être un objet avec attribute_name, operator et attribute_value",
        )
    return comparison(part["attribute_name"], part["operator"], part["attribute_value"], budget)


def _predicate_item(item: object, where: str, budget: _Budget) -> Filter:
    if not isinstance(item, Mapping):
        raise _criteria_error(
            f"{where} must be an object with expression1",
            f"يجب أن يكون {where} كائنا يتضمن expression1",
            f"{where} doit être un objet avec expression1",
        )
    first = _predicate_expression(item, "expression1", where, budget)
    condition = item.get("condition")
    if condition is None and item.get("expression2") is None:
        return first
    if condition not in _CONDITIONS:
        shown = _shown(condition)
        raise _criteria_error(
            f"{where}.condition {shown} must be one of and, or, not when expression2 is given",
            f"يجب أن يكون {where}.condition ({shown}) أحد and أو or أو not عند وجود expression2",
            f"{where}.condition ({shown}) doit valoir and, or ou not quand expression2 est donnée",
        )
    second = _predicate_expression(item, "expression2", where, budget)
    return Combined(condition, (first, second))


def _seq_num(item: object, index: int) -> tuple[float, int]:
    seq = item.get("seq_num") if isinstance(item, Mapping) else None
    if seq is None:
        return (math.inf, index)
    if isinstance(seq, bool) or not isinstance(seq, int | float | str):
        raise _criteria_error(
            f"query[{index}].seq_num must be a number, not {_shown(seq)}",
            f"يجب أن يكون query[{index}].seq_num عددا، وليس {_shown(seq)}",
            f"query[{index}].seq_num doit être un nombre, pas {_shown(seq)}",
        )
    return (_number(f"query[{index}].seq_num", seq, Expected("a number", "عدد", "un nombre")), index)


def _predicate(query: object) -> Filter:
    if not isinstance(query, list) or not query:
        raise _criteria_error(
            "a predicate query is a non-empty array of {seq_num, expression1, condition, expression2}",
            "استعلام predicate مصفوفة غير فارغة من {seq_num, expression1, condition, expression2}",
            "une requête predicate est un tableau non vide de {seq_num, expression1, condition, expression2}",
        )
    budget = _Budget()
    ordered = sorted(range(len(query)), key=lambda i: _seq_num(query[i], i))
    parts = tuple(_predicate_item(query[i], f"query[{i}]", budget) for i in ordered)
    return parts[0] if len(parts) == 1 else Combined("and", parts)


# --- expression (MongoDB style) -----------------------------------------------------------------

_TRUE = Combined("and", ())


def _all_of(parts: Iterable[Filter]) -> Filter:
    kept = tuple(parts)
    return kept[0] if len(kept) == 1 else Combined("and", kept)


def _field_condition(name: object, condition: object, depth: int, budget: _Budget) -> Filter:
    if not isinstance(condition, Mapping):
        # `{"sex": "female"}`: an implicit $eq, as in MongoDB.
        return comparison(name, "eq", condition, budget)
    if not condition:
        raise _filter_error(
            f"field {_shown(name)} has an empty condition",
            f"الحقل {_shown(name)} بشرط فارغ",
            f"le champ {_shown(name)} a une condition vide",
        )
    _depth_checked(depth)
    parts = []
    for key, value in condition.items():
        if key not in MONGO_OPERATORS:
            known = ", ".join(MONGO_OPERATORS)
            shown = _shown(key)
            raise _filter_error(
                f"unknown operator {shown} on field {_shown(name)}; known: {known}",
                f"عامل غير معروف {shown} للحقل {_shown(name)}؛ المعروف: {known}",
                f"opérateur inconnu {shown} pour le champ {_shown(name)} ; connus : {known}",
            )
        parts.append(comparison(name, MONGO_OPERATORS[key], value, budget))
    return _all_of(parts)


def _node(node: object, depth: int, budget: _Budget) -> Filter:
    _depth_checked(depth)
    if not isinstance(node, Mapping) or not node:
        raise _filter_error(
            f"each part of the expression must be a non-empty object, not {_shown(node)}",
            f"يجب أن يكون كل جزء من التعبير كائنا غير فارغ، وليس {_shown(node)}",
            f"chaque partie de l'expression doit être un objet non vide, pas {_shown(node)}",
        )
    parts: list[Filter] = []
    for key, value in node.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise _filter_error(
                    f"{key} takes a non-empty array of expressions, not {_shown(value)}",
                    f"يأخذ {key} مصفوفة غير فارغة من التعابير، وليس {_shown(value)}",
                    f"{key} prend un tableau non vide d'expressions, pas {_shown(value)}",
                )
            children = tuple(_node(child, depth + 1, budget) for child in value)
            condition: Condition = "and" if key == "$and" else "or"
            parts.append(children[0] if len(children) == 1 else Combined(condition, children))
        elif key == "$not":
            # Unary: everything (the empty `and`) but what the inner expression selects.
            parts.append(Combined("not", (_TRUE, _node(value, depth + 1, budget))))
        elif isinstance(key, str) and key.startswith("$"):
            shown = _shown(key)
            raise _filter_error(
                f"unknown logical operator {shown}; known: $and, $or, $not",
                f"عامل منطقي غير معروف {shown}؛ المعروف: $and و$or و$not",
                f"opérateur logique inconnu {shown} ; connus : $and, $or, $not",
            )
        else:
            parts.append(_field_condition(key, value, depth + 1, budget))
    return _all_of(parts)


def _expression(query: object) -> Filter:
    value = query.get("value") if isinstance(query, Mapping) else None
    inner = value.get("expression", value) if isinstance(value, Mapping) else None
    mongo = inner.get("query") if isinstance(inner, Mapping) else None
    if mongo is None:
        raise _criteria_error(
            'an expression query is {"type": ..., "value": {"expression": {"query": {...}}}}',
            'استعلام expression هو {"type": ..., "value": {"expression": {"query": {...}}}}',
            'une requête expression est {"type": ..., "value": {"expression": {"query": {...}}}}',
        )
    return _node(mongo, 1, _Budget())


def parse_query(query_type: str, query: object) -> IdLookup | Filter:
    """The query of one search item, by its `query_type` (the only discriminator: the spec's
    anyOf lets any `{type, value}` pass as two of the forms)."""
    if query_type == "idtype-value":
        return _id_lookup(query)
    if query_type == "predicate":
        return _predicate(query)
    if query_type == "expression":
        return _expression(query)
    shown = _shown(query_type)
    raise _criteria_error(
        f"query_type {shown} is not supported; use idtype-value, expression or predicate",
        f"نوع الاستعلام {shown} غير مدعوم؛ استعملوا idtype-value أو expression أو predicate",
        f"query_type {shown} n'est pas pris en charge ; utilisez idtype-value, expression ou predicate",
    )
