"""Blocking rules: the pair-count estimate and the refusal of rules that generate too many pairs."""

from __future__ import annotations

import itertools

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.errors import SijillError
from sijill.linkage.blocking import BlockingRule, block_on, check_pairs, count_pairs, unknown_rule_columns

values = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
rows = st.lists(st.tuples(values, values), min_size=0, max_size=30)


def _table(connection: duckdb.DuckDBPyConnection, name: str, records: list[tuple[str | None, str | None]]) -> None:
    frame = pl.DataFrame(records, schema={"x": pl.String, "y": pl.String}, orient="row")
    connection.register(f"{name}_arrow", frame.to_arrow())
    connection.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow").fetchall()  # noqa: S608


def _brute(records: list[tuple[str | None, str | None]], rule: BlockingRule) -> int:
    index = {"x": 0, "y": 1}
    pairs = 0
    for a, b in itertools.combinations(records, 2):
        for left, right in ((a, b), (b, a)):
            if all(
                left[index[lc]] is not None and left[index[lc]] == right[index[rc]]
                for lc, rc in zip(rule.left, rule.right_columns, strict=True)
            ):
                pairs += 1
                break
    return pairs


@settings(max_examples=60, deadline=None)
@given(records=rows)
def test_the_estimate_is_the_exact_pair_count_of_equality_rules(records: list[tuple[str | None, str | None]]) -> None:
    connection = duckdb.connect()
    _table(connection, "t", records)
    rules = [block_on("x"), block_on("x", "y")]
    counts = count_pairs(connection, rules, "t")
    assert [c.pairs for c in counts] == [_brute(records, rule) for rule in rules]


@settings(max_examples=60, deadline=None)
@given(left=rows, right=rows)
def test_across_two_tables_every_left_right_pair_is_counted(
    left: list[tuple[str | None, str | None]], right: list[tuple[str | None, str | None]]
) -> None:
    connection = duckdb.connect()
    _table(connection, "l", left)
    _table(connection, "r", right)
    counted = count_pairs(connection, [BlockingRule(("x",), ("y",))], "l", "r")[0].pairs
    assert counted == sum(1 for a in left for b in right if a[0] is not None and a[0] == b[1])


def test_a_rule_over_the_limit_is_refused_with_its_count_and_largest_block() -> None:
    connection = duckdb.connect()
    _table(connection, "t", [("a", str(i)) for i in range(100)])
    counts = count_pairs(connection, [block_on("y"), block_on("x")], "t")
    assert counts[0].pairs == 0 and counts[1].pairs == 4950 and counts[1].largest_block == 100
    with pytest.raises(SijillError) as refused:
        check_pairs(counts, limit=1000)
    assert refused.value.code == "linkage_blocking_too_many_pairs"
    assert refused.value.value == "x"
    assert "4,950" in refused.value.message.fr and "4,950" in refused.value.message.ar
    assert refused.value.details == [{"rule": "x", "pairs": 4950, "largest_block": 100}]


def test_rules_each_under_the_limit_are_refused_when_together_over_it() -> None:
    connection = duckdb.connect()
    _table(connection, "t", [("a", "b")] * 30)
    counts = count_pairs(connection, [block_on("x"), block_on("y")], "t")
    check_pairs(counts, limit=870)  # each rule: 435 pairs
    with pytest.raises(SijillError) as refused:
        check_pairs(counts, limit=600)
    assert refused.value.details[0]["pairs"] == 870


def test_unknown_columns_in_a_rule_are_named() -> None:
    error = unknown_rule_columns(block_on("given_key", "surname"), ["given_key", "family_key"])
    assert error is not None and "surname" in error.message.fr
    assert unknown_rule_columns(block_on("given_key"), ["given_key"]) is None


def test_rules_exclude_members_of_one_household_when_asked() -> None:
    connection = duckdb.connect()
    frame = pl.DataFrame({"unique_id": ["1", "2", "3"], "x": ["a", "a", "a"], "household_id": ["h", "h", None]})
    connection.register("t", frame.to_arrow())
    sql = block_on("x").sql(households=True)
    pairs = connection.execute(
        f"SELECT l.unique_id, r.unique_id FROM t l JOIN t r ON {sql} WHERE l.unique_id < r.unique_id ORDER BY 1, 2"  # noqa: S608
    ).fetchall()
    assert pairs == [("1", "3"), ("2", "3")]
