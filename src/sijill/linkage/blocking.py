"""Blocking rules: which pairs of records the model scores at all, and the check that refuses a rule
that would generate too many of them before anything runs.

A rule is a conjunction of equalities between a left and a right column (usually the same one).
No default rule joins on a name alone: "Mohamed" or "Alaoui" by themselves make blocks of
hundreds of thousands nationally. The estimate is exact for equality joins: the sum over the
rule's key values of the pairs each block makes, computed with one GROUP BY per rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from sijill.errors import SijillError, Text

DIFFERENT_HOUSEHOLDS = '(l."household_id" IS NULL OR r."household_id" IS NULL OR l."household_id" <> r."household_id")'


@dataclass(frozen=True)
class BlockingRule:
    """``l.left[i] = r.right[i]`` for every i; ``right`` defaults to ``left``."""

    left: tuple[str, ...]
    right: tuple[str, ...] | None = None

    @property
    def right_columns(self) -> tuple[str, ...]:
        return self.right if self.right is not None else self.left

    @property
    def name(self) -> str:
        if self.right is None:
            return " + ".join(self.left)
        return " + ".join(f"{a}~{b}" for a, b in zip(self.left, self.right, strict=True))

    def sql(self, households: bool = False) -> str:
        """The join condition; with ``households``, never two members of one declared household."""
        equal = " AND ".join(f'l."{a}" = r."{b}"' for a, b in zip(self.left, self.right_columns, strict=True))
        return f"{equal} AND {DIFFERENT_HOUSEHOLDS}" if households else equal

    @property
    def columns(self) -> set[str]:
        return {*self.left, *self.right_columns}


def block_on(*columns: str) -> BlockingRule:
    return BlockingRule(tuple(columns))


# Each rule catches what the others miss: a wrong birth date, a misspelt given or family name,
# names written in the other order, a second registration with only Latin names.
DEFAULT_RULES: tuple[BlockingRule, ...] = (
    block_on("cin"),
    block_on("phone", "birth_year"),
    block_on("given_key", "family_key", "birth_year"),
    block_on("given_key", "birth_year", "birth_month", "birth_day"),
    block_on("family_key", "birth_year", "birth_month", "birth_day"),
    block_on("given_key", "family_key", "father_key"),
    block_on("given_key_lat", "family_key_lat", "birth_year"),
    block_on("father_key", "mother_key", "birth_year", "birth_month", "birth_day"),
    BlockingRule(("given_key", "family_key", "birth_year"), ("family_key", "given_key", "birth_year")),
    BlockingRule(("given_key", "family_key", "father_key"), ("family_key", "given_key", "father_key")),
)

# Above this the scoring would not finish on one machine in the time a national run has.
DEFAULT_MAX_PAIRS = 150_000_000


@dataclass(frozen=True)
class RuleCount:
    rule: str
    pairs: int
    largest_block: int


def _count_sql(rule: BlockingRule, left: str, right: str, dedupe: bool) -> str:
    """Pairs the rule makes between ``left`` and ``right`` (the same table when deduplicating)."""
    l_keys = ", ".join(f'"{c}" AS k{i}' for i, c in enumerate(rule.left))
    r_keys = ", ".join(f'"{c}" AS k{i}' for i, c in enumerate(rule.right_columns))
    l_nonnull = " AND ".join(f'"{c}" IS NOT NULL' for c in rule.left)
    r_nonnull = " AND ".join(f'"{c}" IS NOT NULL' for c in rule.right_columns)
    group = ", ".join(f"k{i}" for i in range(len(rule.left)))
    on = " AND ".join(f"a.k{i} = b.k{i}" for i in range(len(rule.left)))
    # Column names are checked against the feature columns before any rule gets here.
    a = f"(SELECT {group}, count(*) AS n FROM (SELECT {l_keys} FROM {left} WHERE {l_nonnull}) GROUP BY {group})"  # noqa: S608
    b = f"(SELECT {group}, count(*) AS n FROM (SELECT {r_keys} FROM {right} WHERE {r_nonnull}) GROUP BY {group})"  # noqa: S608
    if dedupe and rule.right is None:
        return f"SELECT coalesce(sum(n * (n - 1) / 2), 0), coalesce(max(n), 0) FROM {a}"  # noqa: S608
    # Across tables, or within one with crossed columns (each pair then counted from both sides).
    halve = " / 2" if dedupe else ""
    return (
        f"SELECT coalesce(sum(a.n * b.n){halve}, 0), coalesce(max(greatest(a.n, b.n)), 0) FROM {a} a JOIN {b} b ON {on}"  # noqa: S608
    )


def count_pairs(
    connection: duckdb.DuckDBPyConnection, rules: Sequence[BlockingRule], left: str, right: str | None = None
) -> list[RuleCount]:
    """Pairs each rule generates (before removing those an earlier rule already made)."""
    counts = []
    for rule in rules:
        row = connection.execute(_count_sql(rule, left, right or left, right is None)).fetchall()[0]
        counts.append(RuleCount(rule.name, int(row[0]), int(row[1])))
    return counts


def too_many_pairs(count: RuleCount, limit: int) -> SijillError:
    return SijillError(
        code="linkage_blocking_too_many_pairs",
        field="blocking_rule",
        value=count.rule,
        status=422,
        message=Text(
            f"قاعدة التجميع «{count.rule}» ستولد حوالي {count.pairs:,} زوجا "
            f"(الحد {limit:,}؛ أكبر كتلة {count.largest_block:,} سجل)",
            f"La règle de blocage « {count.rule} » générerait environ {count.pairs:,} paires "
            f"(limite {limit:,} ; plus grand bloc {count.largest_block:,} enregistrements)",
            f"blocking rule {count.rule!r} would generate about {count.pairs:,} pairs "
            f"(limit {limit:,}; largest block {count.largest_block:,} records)",
        ),
        fix=Text(
            "أضيفوا إلى القاعدة عمودا يفرق (تاريخ الازدياد، اسم الأب) أو ارفعوا الحد بـ --max-pairs",
            "Ajoutez à la règle une colonne qui distingue (date de naissance, prénom du père) "
            "ou relevez la limite (--max-pairs)",
            "add a distinguishing column to the rule (birth date, father's name) or raise --max-pairs",
        ),
        details=[{"rule": count.rule, "pairs": count.pairs, "largest_block": count.largest_block}],
    )


def check_pairs(counts: Sequence[RuleCount], limit: int) -> None:
    """Refuse the first rule over the limit, then the set of rules if together they are."""
    for count in counts:
        if count.pairs > limit:
            raise too_many_pairs(count, limit)
    total = sum(count.pairs for count in counts)
    if total > limit:
        raise too_many_pairs(
            RuleCount("+".join(f"({c.rule})" for c in counts), total, max(c.largest_block for c in counts)), limit
        )


def unknown_rule_columns(rule: BlockingRule, known: Sequence[str]) -> SijillError | None:
    unknown = sorted(rule.columns - set(known))
    if not unknown:
        return None
    names = ", ".join(unknown)
    return SijillError(
        code="linkage_blocking_unknown_column",
        field="blocking_rule",
        value=rule.name,
        status=422,
        message=Text(
            f"أعمدة غير معروفة في قاعدة التجميع: {names}",
            f"Colonnes inconnues dans la règle de blocage : {names}",
            f"unknown columns in blocking rule: {names}",
        ),
        fix=Text(
            f"الأعمدة الممكنة: {', '.join(known)}",
            f"Colonnes possibles : {', '.join(known)}",
            f"possible columns: {', '.join(known)}",
        ),
    )
