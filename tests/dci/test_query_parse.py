"""The three DCI query forms read into criteria, and every refusal naming what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sijill.dci.criteria import Combined, Comparison, IdLookup, SearchRejectedError
from sijill.dci.query_parse import parse_query
from sijill.dci.query_values import MAX_COMPARISONS, MAX_DEPTH


def predicate(*items: dict[str, Any]) -> list[dict[str, Any]]:
    return list(items)


def expr(name: str, operator: str, value: Any) -> dict[str, Any]:
    return {"attribute_name": name, "operator": operator, "attribute_value": value}


def mongo(query: Any) -> dict[str, Any]:
    return {"type": "ns:org:QueryType:expression", "value": {"expression": {"collection": "Group", "query": query}}}


def rejected(query_type: str, query: Any) -> SearchRejectedError:
    with pytest.raises(SearchRejectedError) as caught:
        parse_query(query_type, query)
    error = caught.value
    assert error.ar and error.fr and error.message
    return error


# --- idtype-value -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "IDCS", "value": "1000000011"}, IdLookup("IDCS", "1000000011")),
        ({"type": "UIN", "value": 1000000011}, IdLookup("UIN", "1000000011")),
        ({"type": "uin", "value": " 1000000011 "}, IdLookup("UIN", "1000000011")),
        ({"type": "CIN", "value": " ab-123456 "}, IdLookup("CIN", "AB123456")),
        ({"type": "HOUSEHOLD_ID", "value": "hh000000123"}, IdLookup("HOUSEHOLD_ID", "HH000000123")),
    ],
)
def test_idtype_value_is_normalised(query: dict[str, Any], expected: IdLookup) -> None:
    assert parse_query("idtype-value", query) == expected


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"type": "NID", "value": "1"}, "'NID'"),
        ({"type": "IDCS", "value": "12345"}, "'12345'"),
        ({"type": "UIN", "value": "10000000x1"}, "'10000000x1'"),
        ({"type": "CIN", "value": "123456"}, "'123456'"),
        ({"type": "HOUSEHOLD_ID", "value": "H123"}, "'H123'"),
        ({"type": "IDCS", "value": True}, "True"),
        ({"type": "IDCS", "value": {"a": 1}}, "{'a': 1}"),
        ({"type": "IDCS"}, "idtype-value"),
        (["IDCS", "1"], "idtype-value"),
    ],
)
def test_bad_identifiers_are_refused_by_name(query: Any, named: str) -> None:
    error = rejected("idtype-value", query)
    assert error.reason_code == "rjct.search_criteria.invalid"
    assert named in error.message


def test_unknown_query_types_are_refused() -> None:
    error = rejected("graphql", {"type": "x", "value": {}})
    assert error.reason_code == "rjct.search_criteria.invalid"
    assert "'graphql'" in error.message


# --- predicate ----------------------------------------------------------------------------------


def test_a_predicate_of_one_comparison() -> None:
    parsed = parse_query("predicate", predicate({"expression1": expr("poverty_score", "le", "9.3264284")}))
    assert parsed == Comparison("poverty_score", "le", 9.3264284)


def test_items_are_anded_in_seq_num_order_and_not_is_and_not() -> None:
    parsed = parse_query(
        "predicate",
        predicate(
            {"seq_num": 2, "expression1": expr("sex", "eq", "female")},
            {
                "seq_num": 1,
                "expression1": expr("group_size", "ge", 3),
                "condition": "not",
                "expression2": expr("region_code", "eq", "04"),
            },
        ),
    )
    assert parsed == Combined(
        "and",
        (
            Combined("not", (Comparison("group_size", "ge", 3), Comparison("region_code", "eq", "04"))),
            Comparison("sex", "eq", "female"),
        ),
    )


@pytest.mark.parametrize(
    "value",
    [["03.02", "04.04"], "03.02, 04.04", {"values": ["03.02", "04.04"]}],
)
def test_in_takes_an_array_a_comma_separated_string_or_an_object(value: Any) -> None:
    parsed = parse_query("predicate", predicate({"expression1": expr("province_code", "in", value)}))
    assert parsed == Comparison("province_code", "in", ("03.02", "04.04"))


@pytest.mark.parametrize(
    ("name", "operator", "value", "expected"),
    [
        ("poverty_score", "gt", 9, 9.0),
        ("poverty_score", "lt", "9.5", 9.5),
        ("group_size", "eq", "3", 3),
        ("group_size", "le", 3.0, 3),
        ("age", "ge", "60", 60),
        ("sex", "eq", "Female", "female"),
        ("region_code", "eq", "03", "03"),
        ("commune_code", "eq", "03.02.001", "03.02.001"),
        ("annex_code", "eq", " 03.02.001.01 ", "03.02.001.01"),
        ("enrolled_in", "eq", "amo-tadamon", "amo-tadamon"),
        ("gender", "eq", "male", "male"),
    ],
)
def test_each_field_reads_its_values(name: str, operator: str, value: Any, expected: Any) -> None:
    parsed = parse_query("predicate", predicate({"expression1": expr(name, operator, value)}))
    assert isinstance(parsed, Comparison)
    assert parsed.value == expected
    assert parsed.attribute == ("sex" if name == "gender" else name)


@pytest.mark.parametrize(
    ("name", "operator", "value", "named"),
    [
        ("income", "lt", 5, "'income'"),
        ("poverty_score", "ne", 5, "'ne'"),
        ("poverty_score", "le", "abc", "'abc'"),
        ("poverty_score", "le", True, "True"),
        ("poverty_score", "le", "nan", "'nan'"),
        ("poverty_score", "le", {"x": 1}, "{'x': 1}"),
        ("group_size", "ge", "2.5", "'2.5'"),
        ("group_size", "ge", -1, "-1"),
        ("age", "lt", 200, "200"),
        ("sex", "eq", "other", "'other'"),
        ("sex", "gt", "male", "'gt'"),
        ("region_code", "eq", "03.02", "'03.02'"),
        ("province_code", "eq", "03", "'03'"),
        ("province_code", "eq", 3, "3"),
        ("commune_code", "eq", "03.02.0-1", "'03.02.0-1'"),
        ("annex_code", "lt", "03.02.001.01", "'lt'"),
        ("enrolled_in", "eq", "nothing", "'nothing'"),
        ("poverty_score", "in", [], "[]"),
        ("poverty_score", "in", {"values": "1"}, "{'values': '1'}"),
    ],
)
def test_bad_filters_are_refused_naming_field_and_value(name: str, operator: str, value: Any, named: str) -> None:
    error = rejected("predicate", predicate({"expression1": expr(name, operator, value)}))
    assert error.reason_code == "rjct.filter.invalid"
    assert named in error.message
    if name != "income":
        field = "sex" if name == "gender" else name
        assert field in error.message and field in error.ar and field in error.fr


@pytest.mark.parametrize(
    "query",
    [
        [],
        {"expression1": expr("age", "gt", 1)},
        ["x"],
        [{"expression1": {"attribute_name": "age", "operator": "gt"}}],
        [{"expression1": expr("age", "gt", 1), "condition": "xor", "expression2": expr("age", "lt", 5)}],
        [{"expression1": expr("age", "gt", 1), "expression2": expr("age", "lt", 5)}],
        [{"expression1": expr("age", "gt", 1), "condition": "and"}],
    ],
)
def test_malformed_predicates_are_refused(query: Any) -> None:
    assert rejected("predicate", query).reason_code == "rjct.search_criteria.invalid"


def test_too_many_comparisons_are_refused() -> None:
    items = [{"expression1": expr("age", "gt", i % 100)} for i in range(MAX_COMPARISONS + 1)]
    error = rejected("predicate", items)
    assert error.reason_code == "rjct.filter.invalid"
    assert str(MAX_COMPARISONS) in error.message


# --- expression ---------------------------------------------------------------------------------


def test_the_specs_example_expression() -> None:
    parsed = parse_query(
        "expression",
        mongo(
            {"$and": [{"poverty_score": {"$lt": 5}}, {"province_code": {"$eq": "03.02"}}, {"group_size": {"$lt": 5}}]}
        ),
    )
    assert parsed == Combined(
        "and",
        (
            Comparison("poverty_score", "lt", 5.0),
            Comparison("province_code", "eq", "03.02"),
            Comparison("group_size", "lt", 5),
        ),
    )


def test_expression_operators_implicit_eq_or_and_not() -> None:
    parsed = parse_query(
        "expression",
        {
            "type": "expression",
            "value": {
                "query": {
                    "$or": [{"sex": "female"}, {"age": {"$gte": 60, "$lte": 70}}],
                    "$not": {"poverty_score": {"$gt": 9}},
                    "enrolled_in": {"$in": ["amo-tadamon"]},
                }
            },
        },
    )
    assert parsed == Combined(
        "and",
        (
            Combined(
                "or",
                (
                    Comparison("sex", "eq", "female"),
                    Combined("and", (Comparison("age", "ge", 60), Comparison("age", "le", 70))),
                ),
            ),
            Combined("not", (Combined("and", ()), Comparison("poverty_score", "gt", 9.0))),
            Comparison("enrolled_in", "in", ("amo-tadamon",)),
        ),
    )


@pytest.mark.parametrize(
    ("query", "reason", "named"),
    [
        ({"type": "expression", "value": "poverty_score < 5"}, "rjct.search_criteria.invalid", "expression"),
        (mongo({"poverty_score": {"$ne": 5}}), "rjct.filter.invalid", "'$ne'"),
        (mongo({"$nor": [{"age": 1}]}), "rjct.filter.invalid", "'$nor'"),
        (mongo({"$and": []}), "rjct.filter.invalid", "$and"),
        (mongo({"$and": {"age": 1}}), "rjct.filter.invalid", "$and"),
        (mongo({"location": {"$eq": "central_region"}}), "rjct.filter.invalid", "'location'"),
        (mongo({"age": {}}), "rjct.filter.invalid", "'age'"),
        (mongo({"sex": {"$lt": "male"}}), "rjct.filter.invalid", "'lt'"),
        (mongo({}), "rjct.filter.invalid", "{}"),
    ],
)
def test_bad_expressions_are_refused(query: Any, reason: str, named: str) -> None:
    error = rejected("expression", query)
    assert error.reason_code == reason
    assert named in error.message


def test_deep_nesting_is_refused() -> None:
    query: dict[str, Any] = {"age": {"$gt": 1}}
    for _ in range(MAX_DEPTH):
        query = {"$and": [query]}
    error = rejected("expression", mongo(query))
    assert error.reason_code == "rjct.filter.invalid"
    assert str(MAX_DEPTH) in error.message


def test_many_comparisons_nested_are_counted_together() -> None:
    leaves = [{"age": {"$gt": i % 100}} for i in range(MAX_COMPARISONS + 1)]
    query = {"$or": [{"$and": leaves[:30]}, {"$and": leaves[30:]}]}
    assert rejected("expression", mongo(query)).reason_code == "rjct.filter.invalid"


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.lists(st.integers())))
def test_anything_is_either_parsed_or_refused_cleanly(value: Any) -> None:
    for name in ("poverty_score", "group_size", "age", "sex", "annex_code", "enrolled_in"):
        for operator in ("gt", "eq", "in"):
            outcome: object
            try:
                outcome = parse_query("predicate", [{"expression1": expr(name, operator, value)}])
            except SearchRejectedError as error:
                outcome = error.reason_code
            assert isinstance(outcome, Comparison) or outcome in ("rjct.filter.invalid", "rjct.search_criteria.invalid")
