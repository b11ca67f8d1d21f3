"""Unsupervised training of the linkage model, and the adjustments that keep it sane.

Splink's EM estimates each level's m (how often one person's two records agree at that level)
from the pairs of a training block, leaving out the comparisons the block itself fixes. The
blocks are chosen so that most of their pairs are one person, and so that the "match" class the
EM finds is persons, not families or namesakes from one place:

1. pairs sharing an identifier (the CIN, else the phone): almost all one person, whatever their
   names and dates say, so the names and birth dates are learnt from them;
2. pairs with the same names and full birth date: identifiers, parents, places are learnt there;
3. without any identifier, pairs with the same parents' names and birth date stand in for 1.

Two adjustments follow. The u of an identifier (how often two different persons share a CIN) is
computed from its value counts: random sampling never meets such a pair. And no m is left below
a floor: a level never seen among true pairs of the training block would otherwise get a weight
of minus hundreds, and one typing mistake in one field would veto a match alone.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb
from splink import Linker

from sijill.linkage.blocking import BlockingRule, block_on, count_pairs

IDENTIFIERS = ("cin", "phone")
IDENTIFIER_RULES = tuple(block_on(identifier) for identifier in IDENTIFIERS)
NAME_DATE_RULE = block_on("given_key", "family_key", "birth_year", "birth_month", "birth_day")
PARENTS_DATE_RULE = block_on("father_key", "mother_key", "birth_year", "birth_month", "birth_day")
# Fewer pairs than this in a block and its estimates would be noise.
MIN_TRAINING_PAIRS = 50
M_FLOOR = 0.001

# Two records agreeing on these are taken as one person when estimating how many pairs match.
_DETERMINISTIC = (block_on("cin"), NAME_DATE_RULE)
_DETERMINISTIC_RECALL = 0.8


def training_rules(
    connection: duckdb.DuckDBPyConnection, present: set[str], left: str, right: str | None
) -> list[BlockingRule]:
    """The training blocks this input supports, in the order of the module's docstring."""

    def usable(rule: BlockingRule) -> bool:
        if not rule.columns <= present:
            return False
        return count_pairs(connection, [rule], left, right)[0].pairs >= MIN_TRAINING_PAIRS

    rules = [next((rule for rule in IDENTIFIER_RULES if usable(rule)), None)]
    rules.append(NAME_DATE_RULE if usable(NAME_DATE_RULE) else None)
    if rules[0] is None:
        rules.append(PARENTS_DATE_RULE if usable(PARENTS_DATE_RULE) else None)
    return [rule for rule in rules if rule is not None]


def identifier_u(connection: duckdb.DuckDBPyConnection, column: str, left: str, right: str | None) -> float | None:
    """The probability that two records of different persons share ``column``, from value counts."""
    counts = f'SELECT "{column}" AS v, count(*) AS n FROM {{t}} WHERE "{column}" IS NOT NULL GROUP BY 1'
    if right is None:
        sql = f"SELECT sum(n * (n - 1)), sum(n) FROM ({counts.format(t=left)})"  # noqa: S608
        shared, total = connection.execute(sql).fetchall()[0]
        pairs = None if total is None else total * (total - 1)
    else:
        sql = (
            f"SELECT sum(a.n * b.n), (SELECT sum(n) FROM ({counts.format(t=left)})) * "  # noqa: S608
            f"(SELECT sum(n) FROM ({counts.format(t=right)})) "
            f"FROM ({counts.format(t=left)}) a JOIN ({counts.format(t=right)}) b USING (v)"
        )
        shared, pairs = connection.execute(sql).fetchall()[0]
    if not pairs or shared is None:
        return None
    # Shared values are mostly the duplicates themselves: this bounds u from above, which only
    # makes an agreeing identifier count for less than it should.
    return max(float(shared) / float(pairs), 1e-12)


def _observed(value: object) -> bool:
    return isinstance(value, float) and value > 0


def _adjusted(model: dict[str, Any], identifier_us: dict[str, float], u_pairs: int) -> dict[str, Any]:
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        if name in identifier_us and len(levels) == 2:
            levels[0]["u_probability"] = identifier_us[name]
            levels[1]["u_probability"] = 1.0 - identifier_us[name]
        for level in levels:
            m, u = level.get("m_probability"), level.get("u_probability")
            if not _observed(u):
                # Never met among the random pairs: as rare as the sample can tell.
                u = level["u_probability"] = 1.0 / u_pairs
            if not isinstance(m, float) and u < M_FLOOR:
                # A rare level never met among the training pairs: it counts for nothing either way.
                level["m_probability"] = u
            elif not isinstance(m, float) or m < M_FLOOR:
                level["m_probability"] = M_FLOOR
    return model


def model_json(linker: Linker) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.json"
        linker.misc.save_model_to_json(str(path), overwrite=True)
        model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return model


def train(
    linker: Linker,
    connection: duckdb.DuckDBPyConnection,
    present: set[str],
    tables: list[str],
    u_pairs: int,
) -> dict[str, Any]:
    """Train ``linker`` on its input and return the adjusted model, ready to predict with."""
    left, right = tables[0], tables[1] if len(tables) > 1 else None
    deterministic = [rule.sql() for rule in _DETERMINISTIC if rule.columns <= present]
    if deterministic:
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=_DETERMINISTIC_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    for rule in training_rules(connection, present, left, right):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule.sql("household_id" in present), estimate_without_term_frequencies=True
        )
    identifier_us = {
        column: u
        for column in IDENTIFIERS
        if column in present and (u := identifier_u(connection, column, left, right)) is not None
    }
    return _adjusted(model_json(linker), identifier_us, u_pairs)
