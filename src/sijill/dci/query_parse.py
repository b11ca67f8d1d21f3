"""The three DCI query forms read into criteria (dci/criteria.py); sort and page are dci/paging.py's,
the fields and their values dci/query_values.py's.

Everything a partner sends is checked here, before any SQL: an unknown field, an operator a field
does not take, a value of the wrong type or shape, or a filter too big to be a real question is
refused with the spec's reason code and a message naming the field, the value and the rule
(docs/dci.md, "Query fields"). What comes out is only ever well-typed criteria, so search.py can
compile them without checking again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from sijill.dci.criteria import ID_TYPES, Combined, Comparison, Condition, Filter, IdLookup, SearchRejectedError
from sijill.dci.query_values import (
    CIN_RE,
    IDCS_RE,
    MONGO_OPERATORS,
    Budget,
    Expected,
    comparison,
    criteria_error,
    depth_checked,
    filter_error,
    number,
    quoted,
)
from sijill.population.validation import normalize_cin
from sijill.social_registry.models import household_id_of

# --- idtype-value -------------------------------------------------------------------------------


def _id_value(raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        shown = quoted(raw)
        raise criteria_error(
            f"query.value must be a string or a number, not {shown}",
            f"يجب أن تكون query.value نصا أو عددا، وليس {shown}",
            f"query.value doit être un texte ou un nombre, pas {shown}",
        )
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _bad_id(id_type: str, value: str, expected: Expected) -> SearchRejectedError:
    shown = quoted(value)
    return criteria_error(
        f"query.value {shown} is not a valid {id_type}: expected {expected.en}",
        f"القيمة {shown} ليست {id_type} صالحا: المطلوب {expected.ar}",
        f"la valeur {shown} n'est pas un {id_type} valide : attendu {expected.fr}",
    )


def _id_lookup(query: object) -> IdLookup:
    if not isinstance(query, Mapping) or "type" not in query or "value" not in query:
        raise criteria_error(
            'an idtype-value query is an object {"type": ..., "value": ...}',
            'استعلام idtype-value هو كائن {"type": ..., "value": ...}',
            'une requête idtype-value est un objet {"type": ..., "value": ...}',
        )
    id_type = query["type"].strip().upper() if isinstance(query["type"], str) else None
    if id_type not in ID_TYPES:
        known = ", ".join(ID_TYPES)
        shown = quoted(query["type"])
        raise criteria_error(
            f"unknown identifier type {shown}; known: {known}",
            f"نوع معرف غير معروف: {shown}؛ المعروف: {known}",
            f"type d'identifiant inconnu : {shown} ; connus : {known}",
        )
    value = _id_value(query["value"])
    if id_type in ("IDCS", "UIN"):
        if not IDCS_RE.fullmatch(value):
            raise _bad_id(id_type, value, Expected("10 digits", "10 أرقام", "10 chiffres"))
    elif id_type == "CIN":
        cin = normalize_cin(value)
        if cin is None or not CIN_RE.fullmatch(cin):
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


def _predicate_expression(item: Mapping[object, object], key: str, where: str, budget: Budget) -> Comparison:
    part = item.get(key)
    if not isinstance(part, Mapping) or not {"attribute_name", "operator", "attribute_value"} <= set(part):
        raise criteria_error(
            f"{where}.{key} must be an object with attribute_name, operator and attribute_value",
            f"يجب أن يكون {where}.{key} كائنا يتضمن attribute_name وoperator وattribute_value",
            f"{where}.{key} doit être un objet avec attribute_name, operator et attribute_value",
        )
    return comparison(part["attribute_name"], part["operator"], part["attribute_value"], budget)


def _predicate_item(item: object, where: str, budget: Budget) -> Filter:
    if not isinstance(item, Mapping):
        raise criteria_error(
            f"{where} must be an object with expression1",
            f"يجب أن يكون {where} كائنا يتضمن expression1",
            f"{where} doit être un objet avec expression1",
        )
    first = _predicate_expression(item, "expression1", where, budget)
    condition = item.get("condition")
    if condition is None and item.get("expression2") is None:
        return first
    if condition not in _CONDITIONS:
        shown = quoted(condition)
        raise criteria_error(
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
        raise criteria_error(
            f"query[{index}].seq_num must be a number, not {quoted(seq)}",
            f"يجب أن يكون query[{index}].seq_num عددا، وليس {quoted(seq)}",
            f"query[{index}].seq_num doit être un nombre, pas {quoted(seq)}",
        )
    return (number(f"query[{index}].seq_num", seq, Expected("a number", "عدد", "un nombre")), index)


def _predicate(query: object) -> Filter:
    if not isinstance(query, list) or not query:
        raise criteria_error(
            "a predicate query is a non-empty array of {seq_num, expression1, condition, expression2}",
            "استعلام predicate مصفوفة غير فارغة من {seq_num, expression1, condition, expression2}",
            "une requête predicate est un tableau non vide de {seq_num, expression1, condition, expression2}",
        )
    budget = Budget()
    ordered = sorted(range(len(query)), key=lambda i: _seq_num(query[i], i))
    parts = tuple(_predicate_item(query[i], f"query[{i}]", budget) for i in ordered)
    return parts[0] if len(parts) == 1 else Combined("and", parts)


# --- expression (MongoDB style) -----------------------------------------------------------------

_TRUE = Combined("and", ())


def _all_of(parts: Iterable[Filter]) -> Filter:
    kept = tuple(parts)
    return kept[0] if len(kept) == 1 else Combined("and", kept)


def _field_condition(name: object, condition: object, depth: int, budget: Budget) -> Filter:
    if not isinstance(condition, Mapping):
        # `{"sex": "female"}`: an implicit $eq, as in MongoDB.
        return comparison(name, "eq", condition, budget)
    if not condition:
        raise filter_error(
            f"field {quoted(name)} has an empty condition",
            f"الحقل {quoted(name)} بشرط فارغ",
            f"le champ {quoted(name)} a une condition vide",
        )
    depth_checked(depth)
    parts = []
    for key, value in condition.items():
        if key not in MONGO_OPERATORS:
            known = ", ".join(MONGO_OPERATORS)
            shown = quoted(key)
            raise filter_error(
                f"unknown operator {shown} on field {quoted(name)}; known: {known}",
                f"عامل غير معروف {shown} للحقل {quoted(name)}؛ المعروف: {known}",
                f"opérateur inconnu {shown} pour le champ {quoted(name)} ; connus : {known}",
            )
        parts.append(comparison(name, MONGO_OPERATORS[key], value, budget))
    return _all_of(parts)


def _node(node: object, depth: int, budget: Budget) -> Filter:
    depth_checked(depth)
    if not isinstance(node, Mapping) or not node:
        raise filter_error(
            f"each part of the expression must be a non-empty object, not {quoted(node)}",
            f"يجب أن يكون كل جزء من التعبير كائنا غير فارغ، وليس {quoted(node)}",
            f"chaque partie de l'expression doit être un objet non vide, pas {quoted(node)}",
        )
    parts: list[Filter] = []
    for key, value in node.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise filter_error(
                    f"{key} takes a non-empty array of expressions, not {quoted(value)}",
                    f"يأخذ {key} مصفوفة غير فارغة من التعابير، وليس {quoted(value)}",
                    f"{key} prend un tableau non vide d'expressions, pas {quoted(value)}",
                )
            children = tuple(_node(child, depth + 1, budget) for child in value)
            condition: Condition = "and" if key == "$and" else "or"
            parts.append(children[0] if len(children) == 1 else Combined(condition, children))
        elif key == "$not":
            # Unary: everything (the empty `and`) but what the inner expression selects.
            parts.append(Combined("not", (_TRUE, _node(value, depth + 1, budget))))
        elif isinstance(key, str) and key.startswith("$"):
            shown = quoted(key)
            raise filter_error(
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
        raise criteria_error(
            'an expression query is {"type": ..., "value": {"expression": {"query": {...}}}}',
            'استعلام expression هو {"type": ..., "value": {"expression": {"query": {...}}}}',
            'une requête expression est {"type": ..., "value": {"expression": {"query": {...}}}}',
        )
    return _node(mongo, 1, Budget())


def parse_query(query_type: str, query: object) -> IdLookup | Filter:
    """The query of one search item, by its `query_type` (the only discriminator: the spec's
    anyOf lets any `{type, value}` pass as two of the forms)."""
    if query_type == "idtype-value":
        return _id_lookup(query)
    if query_type == "predicate":
        return _predicate(query)
    if query_type == "expression":
        return _expression(query)
    shown = quoted(query_type)
    raise criteria_error(
        f"query_type {shown} is not supported; use idtype-value, expression or predicate",
        f"نوع الاستعلام {shown} غير مدعوم؛ استعملوا idtype-value أو expression أو predicate",
        f"query_type {shown} n'est pas pris en charge ; utilisez idtype-value, expression ou predicate",
    )
