"""Unsupervised training of the linkage model, and the adjustments that keep it sane.

No labelled pairs exist, but two kinds of pairs are one person almost surely, and each says how
one person's two records agree on everything it does not itself require:

1. pairs sharing an identifier (the CIN, else the phone), whatever their names and dates say:
   the names, birth dates and parents' names are learnt from them;
2. pairs with the same names, full birth date and parents' names: the identifiers are learnt
   from them (how often a second registration keeps the CIN, the phone).

Each level's m is the share of those pairs at that level (Splink's estimate from a label column).
This is what the EM converges to on such blocks, without its failure on them: on a block whose
pairs are nearly all matches the EM drives a rare level's m to exactly zero and stops. The EM
remains the fallback for inputs with no identifier at all.

The u of each level comes from random pairs; the u of an identifier (how often two different
persons share a CIN) from its value counts, since random sampling never meets such a pair. No m
is left below a floor: a level never seen among the training pairs would otherwise weigh minus
hundreds, and one typing mistake in one field would veto a match alone.
"""

from __future__ import annotations

import copy
import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from splink import Linker
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from sijill.linkage.blocking import block_on, count_pairs
from sijill.linkage.comparisons import SAME_KEY_LABEL, SWAPPED_LABEL

log = logging.getLogger(__name__)

IDENTIFIERS = ("cin", "phone")
# The comparisons the identity pairs (2.) fix, learnt from the identifier pairs (1.) instead.
IDENTITY_COMPARISONS = ("given_name", "family_name", "birth_date", "father_name", "mother_name")
IDENTITY_COLUMN = "identity_key"
# What the identity pairs agree on: as much of it as the input has, the names and date at least.
IDENTITY_PARTS = ("given_key", "family_key", "birth_year", "birth_month", "birth_day", "father_key", "mother_key")
IDENTITY_REQUIRED = IDENTITY_PARTS[:5]
NAME_DATE_RULE = block_on("given_key", "family_key", "birth_year", "birth_month", "birth_day")
# Fewer pairs than this and the shares would be noise.
MIN_TRAINING_PAIRS = 30
M_FLOOR = 0.001

# Two records agreeing on these are taken as one person when estimating how many pairs match.
_DETERMINISTIC = (block_on("cin"), NAME_DATE_RULE)
_DETERMINISTIC_RECALL = 0.8
# Without identifiers: EM on pairs born the same day (learns the names) and on pairs with the
# same names (learns the birth date).
_EM_FALLBACK = (block_on("birth_year", "birth_month", "birth_day"), block_on("given_key", "family_key"))

LinkerFactory = Callable[[dict[str, Any]], Linker]


def _add_identity_key(connection: duckdb.DuckDBPyConnection, present: set[str], tables: list[str]) -> bool:
    """A column equal for two records exactly when they agree on the identity parts the input has
    (null where a part is missing, so such records never pair on it)."""
    if not set(IDENTITY_REQUIRED) <= present:
        return False
    parts = [f'CAST("{p}" AS VARCHAR)' for p in IDENTITY_PARTS if p in present]
    complete = " AND ".join(f"{part} IS NOT NULL" for part in parts)
    for table in tables:
        connection.execute(f"ALTER TABLE {table} ADD COLUMN {IDENTITY_COLUMN} VARCHAR").fetchall()
        connection.execute(
            f"UPDATE {table} SET {IDENTITY_COLUMN} = CASE WHEN {complete} THEN concat_ws('|', {', '.join(parts)}) END"  # noqa: S608
        ).fetchall()
    return True


def _enough_pairs(
    connection: duckdb.DuckDBPyConnection, column: str, present: set[str], left: str, right: str | None
) -> bool:
    return column in present and count_pairs(connection, [block_on(column)], left, right)[0].pairs >= MIN_TRAINING_PAIRS


def identifier_u(connection: duckdb.DuckDBPyConnection, column: str, left: str, right: str | None) -> float | None:
    """The probability that two records of different persons share ``column``, from value counts."""
    counts = f'SELECT "{column}" AS v, count(*) AS n FROM {{t}} WHERE "{column}" IS NOT NULL GROUP BY 1'  # noqa: S608
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


def _level_named(model: dict[str, Any], comparison: str, label: str) -> dict[str, Any] | None:
    for candidate in model["comparisons"]:
        if candidate["output_column_name"] == comparison:
            for level in candidate["comparison_levels"]:
                if level.get("label_for_charts") == label:
                    return level  # type: ignore[no-any-return]
    return None


def _swap_as_strong_as_both_names(model: dict[str, Any]) -> dict[str, Any]:
    """Names written in the other order count as much as both names agreeing in order, no more.

    Among random pairs a crossed agreement is rarer than an agreement in order (given and family
    names are different vocabularies), so its own u would make it the strongest evidence of all;
    yet the pairs that really meet it are siblings, one registered with the names swapped, whose
    parents, place and family name agree too. Capping it at the in-order weight keeps a sibling's
    different birth date decisive.
    """
    swapped = _level_named(model, "given_name", SWAPPED_LABEL)
    given = _level_named(model, "given_name", SAME_KEY_LABEL)
    family = _level_named(model, "family_name", SAME_KEY_LABEL)
    if swapped is None or given is None or family is None:
        return model
    in_order = (given["m_probability"] / given["u_probability"]) * (family["m_probability"] / family["u_probability"])
    if swapped["m_probability"] / swapped["u_probability"] > in_order:
        swapped["u_probability"] = swapped["m_probability"] / in_order
    return model


def model_json(linker: Linker) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.json"
        linker.misc.save_model_to_json(str(path), overwrite=True)
        model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return model


def _m_from_label(factory: LinkerFactory, base: dict[str, Any], column: str) -> dict[str, list[Any]]:
    """Each comparison's m values, as shares of the pairs agreeing on ``column``."""
    linker = factory(copy.deepcopy(base))
    linker.training.estimate_m_from_label_column(column)
    return {
        comparison["output_column_name"]: [level.get("m_probability") for level in comparison["comparison_levels"]]
        for comparison in model_json(linker)["comparisons"]
    }


def _em_fallback(linker: Linker, present: set[str], households: bool) -> None:
    for rule in _EM_FALLBACK:
        if not rule.columns <= present:
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule.sql(households), estimate_without_term_frequencies=True
            )
        except ValueError as error:  # the EM collapsed (a level's m reached zero): keep what it had
            log.warning("linkage training: EM on %s stopped: %s", rule.name, error)


def train(
    factory: LinkerFactory,
    settings: dict[str, Any],
    connection: duckdb.DuckDBPyConnection,
    present: set[str],
    tables: list[str],
    u_pairs: int,
) -> dict[str, Any]:
    """Train a model for ``settings`` on the input tables and return it adjusted, ready to predict."""
    left, right = tables[0], tables[1] if len(tables) > 1 else None
    households = "household_id" in present
    if _add_identity_key(connection, present, tables):
        present = present | {IDENTITY_COLUMN}
    linker = factory(settings)
    deterministic: list[str | BlockingRuleCreator] = [
        rule.sql(households) for rule in _DETERMINISTIC if rule.columns <= present
    ]
    if deterministic:
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=_DETERMINISTIC_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    identifier = next((c for c in IDENTIFIERS if _enough_pairs(connection, c, present, left, right)), None)
    if identifier is None:
        _em_fallback(linker, present, households)
    base = model_json(linker)
    by_identifier = _m_from_label(factory, base, identifier) if identifier else {}
    by_identity = (
        _m_from_label(factory, base, IDENTITY_COLUMN)
        if _enough_pairs(connection, IDENTITY_COLUMN, present, left, right)
        else {}
    )
    for comparison in base["comparisons"]:
        name = comparison["output_column_name"]
        source = (
            by_identity
            if name == identifier or (name not in IDENTITY_COMPARISONS and not by_identifier)
            else by_identifier
        )
        if name in source:
            for level, m in zip(comparison["comparison_levels"], source[name], strict=True):
                if not level.get("is_null_level") and not level.get("fix_m_probability"):
                    level["m_probability"] = m
    identifier_us = {
        column: u
        for column in IDENTIFIERS
        if column in present and (u := identifier_u(connection, column, left, right)) is not None
    }
    return _swap_as_strong_as_both_names(_adjusted(base, identifier_us, u_pairs))
