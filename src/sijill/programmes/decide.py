"""A programme rule applied to households, vectorised: one household at the counter and every
household of the country go through these same expressions.

Inputs are three frames (see `inputs`): households (id, milieu, region, index), their members as
of the decision day (sorted by household, then birth date: ranks are read from that order), and
the links of those members to other registries in force that day.
Output: per household a status (eligible, not_eligible, not_decidable), the reason codes of every
condition that failed, the amount, and the lines that make it up (each child, the floor applied,
the cap applied), plus the registry records behind each exclusion.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sijill.programmes.rule_types import (
    RANK,
    Amount,
    Bracket,
    Condition,
    DeclarantCondition,
    Entitlement,
    FieldTest,
    IndexCondition,
    Line,
    MembersCondition,
    MemberTest,
    NoLinksCondition,
    ProgrammeRule,
    ResidenceCondition,
)
from sijill.programmes.rules import NO_INDEX

ELIGIBLE, NOT_ELIGIBLE, NOT_DECIDABLE = "eligible", "not_eligible", "not_decidable"
HOUSEHOLD_SCHEMA: dict[str, pl.DataType] = {
    "household_id": pl.Int64(),
    "declaration_id": pl.Int64(),
    "milieu": pl.String(),
    "region": pl.String(),
    "index": pl.Float64(),
}
MEMBER_SCHEMA: dict[str, pl.DataType] = {
    "household_id": pl.Int64(),
    "person_id": pl.Int64(),
    "is_declarant": pl.Boolean(),
    "relationship": pl.String(),
    "sex": pl.String(),
    "born": pl.Date(),
    "age": pl.Int64(),
    "age_months": pl.Int64(),
    "education": pl.String(),
    "in_school": pl.Boolean(),
    "occupation": pl.String(),
    "disability": pl.Boolean(),
    "marital_status": pl.String(),
}
LINE_SCHEMA: dict[str, pl.DataType] = {
    "household_id": pl.Int64(),
    "line": pl.String(),
    "person_id": pl.Int64(),
    "rank": pl.Int64(),
    "amount": pl.Float64(),
    "period": pl.String(),
}
EVIDENCE_SCHEMA: dict[str, pl.DataType] = {
    "household_id": pl.Int64(),
    "reason": pl.String(),
    "person_id": pl.Int64(),
    "registry": pl.String(),
    "external_record_id": pl.Int64(),
}


@dataclass(frozen=True)
class Decisions:
    # household_id, declaration_id, milieu, region, index, status, reasons (the codes, comma-separated,
    # in the rule's order), amount, amount_once
    decisions: pl.DataFrame
    lines: pl.DataFrame
    evidence: pl.DataFrame


def codes(reasons: str) -> list[str]:
    """The reason codes of a decision, from their stored form."""
    return reasons.split(",") if reasons else []


def _field(test: FieldTest) -> pl.Expr:
    column = pl.col(test.name)
    if test.values is not None:
        held = column.is_in(list(test.values)) if len(test.values) > 1 else column == test.values[0]
    else:
        held = pl.lit(True)
        if test.at_least is not None:
            held = held & (column >= test.at_least)
        if test.at_most is not None:
            held = held & (column <= test.at_most)
    # A fact the form does not give (no occupation under 15 ...) does not meet a test.
    return held.fill_null(False)


def member_expr(test: MemberTest) -> pl.Expr:
    parts = [_field(t) for t in test.tests]
    if test.any_of:
        parts.append(pl.any_horizontal([member_expr(t) for t in test.any_of]))
    return pl.all_horizontal(parts) if parts else pl.lit(True)


def bracket_expr(bracket: Bracket, value: pl.Expr) -> pl.Expr:
    """(above, at_most]; null when the value is (no index: not decidable)."""
    held = pl.lit(True)
    if bracket.above is not None:
        held = held & (value > bracket.above)
    if bracket.at_most is not None:
        held = held & (value <= bracket.at_most)
    return pl.when(value.is_null()).then(None).otherwise(held)


def _households_with(members: pl.DataFrame, held: pl.Expr) -> pl.Series:
    return members.filter(held).get_column("household_id").unique()


def _no_links(condition: NoLinksCondition, member_links: pl.DataFrame) -> pl.DataFrame:
    """The links that break the condition, one row per member and registry record."""
    hits = member_links.filter(pl.col("registry").is_in(list(condition.registries)))
    if condition.relationships is not None:
        hits = hits.filter(pl.col("relationship").is_in(list(condition.relationships)))
    return hits.select(
        "household_id",
        pl.lit(condition.reason).alias("reason"),
        "person_id",
        "registry",
        "external_record_id",
    )


def member_links_of(members: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Each member's links, with the member's household and relationship: joined once per rule
    (the members are millions, their links far fewer), then filtered by each condition."""
    return links.join(members.select("person_id", "household_id", "relationship"), on="person_id")


def _condition_column(
    condition: Condition, members: pl.DataFrame, member_links: pl.DataFrame, evidence: list[pl.DataFrame]
) -> pl.Expr:
    """The condition as a household column: true, false, or null (no index to tell). The links
    that break a no_links condition are added to ``evidence``."""
    household = pl.col("household_id")
    if isinstance(condition, IndexCondition):
        return bracket_expr(condition.bracket, pl.col("index"))
    if isinstance(condition, ResidenceCondition):
        held = pl.lit(True)
        if condition.milieus is not None:
            held = held & pl.col("milieu").is_in(list(condition.milieus))
        if condition.regions is not None:
            held = held & pl.col("region").is_in(list(condition.regions))
        return held.fill_null(False)
    if isinstance(condition, DeclarantCondition):
        found = _households_with(members, pl.col("is_declarant") & member_expr(condition.test))
        return household.is_in(found.implode())
    if isinstance(condition, MembersCondition):
        counts = members.filter(member_expr(condition.test)).group_by("household_id").len()
        count = household.replace_strict(counts["household_id"], counts["len"], default=0, return_dtype=pl.UInt32)
        held = pl.lit(True)
        if condition.at_least is not None:
            held = held & (count >= condition.at_least)
        if condition.at_most is not None:
            held = held & (count <= condition.at_most)
        return held
    breaking = _no_links(condition, member_links)
    evidence.append(breaking)
    return ~household.is_in(breaking.get_column("household_id").unique().implode())


def _reason_codes(rule: ProgrammeRule, masks: pl.Series) -> pl.Series:
    """The comma-separated reason codes of each failure mask (bit 0: no index, bit i+1: condition
    i failed). Few distinct masks occur, so the codes are spelt once per mask, not once per row."""
    codes = [NO_INDEX, *(c.reason for c in rule.conditions)]
    distinct = masks.unique().to_list()
    spelt = [",".join(code for bit, code in enumerate(codes) if mask >> bit & 1) for mask in distinct]
    return masks.replace_strict(distinct, spelt, return_dtype=pl.String)


def _statuses(
    rule: ProgrammeRule, households: pl.DataFrame, members: pl.DataFrame, member_links: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    evidence: list[pl.DataFrame] = []
    no_index = pl.col("index").is_null() if rule.needs_index else pl.lit(False)
    # One bit per failed condition (a condition left open by a missing index does not fail).
    bits = [no_index.cast(pl.Int64)] + [
        (~_condition_column(c, members, member_links, evidence).fill_null(True)).cast(pl.Int64) * (1 << (i + 1))
        for i, c in enumerate(rule.conditions)
    ]
    masks = households.select(pl.sum_horizontal(bits).alias("mask")).get_column("mask")
    status = (
        pl.when(pl.col("mask") & 1 == 1)
        .then(pl.lit(NOT_DECIDABLE))
        .when(pl.col("mask") == 0)
        .then(pl.lit(ELIGIBLE))
        .otherwise(pl.lit(NOT_ELIGIBLE))
    )
    decided = households.select(HOUSEHOLD_SCHEMA.keys()).with_columns(
        masks, _reason_codes(rule, masks).alias("reasons")
    )
    decided = decided.with_columns(status.alias("status")).drop("mask")
    found = pl.concat([pl.DataFrame(schema=EVIDENCE_SCHEMA), *evidence])
    return decided, found


def _amount_expr(amounts: tuple[Amount, ...]) -> pl.Expr:
    chosen: pl.Expr = pl.lit(None, dtype=pl.Float64)
    for amount in reversed(amounts):
        if amount.by_milieu is not None:
            value = pl.col("milieu").replace_strict(amount.by_milieu, default=None, return_dtype=pl.Float64)
        else:
            value = pl.lit(amount.amount, dtype=pl.Float64)
        condition = member_expr(amount.when) if amount.when is not None else pl.lit(True)
        chosen = pl.when(condition).then(value).otherwise(chosen)
    return chosen


def _ranked(members: pl.DataFrame) -> pl.DataFrame:
    """Each member's rank in its household, eldest first: members come sorted by household, then
    birth date (see `inputs.in_decision_order`), so a rank is the distance to the household's first row."""
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    first = pl.when(pl.col("household_id") != pl.col("household_id").shift(1).fill_null(-1)).then(row)
    return members.with_columns((row - first.forward_fill() + 1).alias(RANK))


def _line_rows(line: Line, members: pl.DataFrame) -> pl.DataFrame:
    ranked = _ranked(members.filter(member_expr(line.rank_among or line.members)))
    if line.rank_among is not None:
        ranked = ranked.filter(member_expr(line.members))
    if line.rank_at_most is not None:
        ranked = ranked.filter(pl.col(RANK) <= line.rank_at_most)
    return (
        ranked.with_columns(_amount_expr(line.amounts).alias("amount"))
        .filter(pl.col("amount").is_not_null())
        .select(
            "household_id",
            pl.lit(line.id).alias("line"),
            "person_id",
            RANK,
            "amount",
            pl.lit(line.period).alias("period"),
        )
    )


def _household_line(frame: pl.DataFrame, name: str, amount: pl.Expr, period: str) -> pl.DataFrame:
    return frame.select(
        "household_id",
        pl.lit(name).alias("line"),
        pl.lit(None, dtype=pl.Int64).alias("person_id"),
        pl.lit(None, dtype=pl.Int64).alias("rank"),
        amount.cast(pl.Float64).alias("amount"),
        pl.lit(period).alias("period"),
    )


def _entitlement_lines(entitlement: Entitlement, eligible: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Every line of the eligible households, adjustments (flat amount, floor, cap) included."""
    parts = [pl.DataFrame(schema=LINE_SCHEMA)]
    if entitlement.lines:
        # The eligible households' members (the join keeps their order), with the household's milieu.
        of_eligible = members.join(eligible.select("household_id", "milieu"), on="household_id", maintain_order="left")
        parts += [_line_rows(line, of_eligible) for line in entitlement.lines]
    if entitlement.by_index:
        amount: pl.Expr = pl.lit(None, dtype=pl.Float64)
        for bracket, value in reversed(entitlement.by_index):
            amount = pl.when(bracket_expr(bracket, pl.col("index"))).then(pl.lit(value)).otherwise(amount)
        parts.append(_household_line(eligible, "index_bracket", amount, entitlement.period).drop_nulls("amount"))
    lines = pl.concat(parts)
    period = entitlement.period
    totals = (
        eligible.select("household_id")
        .join(
            lines.filter(pl.col("period") == period).group_by("household_id").agg(pl.col("amount").sum()),
            on="household_id",
            how="left",
        )
        .with_columns(pl.col("amount").fill_null(0.0), pl.col("amount").is_null().alias("no_line"))
    )
    adjustments = []
    if entitlement.without_lines is not None:
        flat = totals.filter(pl.col("no_line"))
        adjustments.append(_household_line(flat, "without_lines", pl.lit(entitlement.without_lines), period))
        totals = totals.with_columns(
            pl.when(pl.col("no_line"))
            .then(pl.lit(entitlement.without_lines))
            .otherwise(pl.col("amount"))
            .alias("amount")
        )
    if entitlement.floor is not None:
        low = totals.filter(pl.col("amount") < entitlement.floor)
        adjustments.append(_household_line(low, "floor", entitlement.floor - pl.col("amount"), period))
        totals = totals.with_columns(pl.max_horizontal("amount", pl.lit(entitlement.floor)).alias("amount"))
    if entitlement.cap is not None:
        high = totals.filter(pl.col("amount") > entitlement.cap)
        adjustments.append(_household_line(high, "cap", entitlement.cap - pl.col("amount"), period))
    return pl.concat([lines, *adjustments]).sort(["household_id", "line", "rank"], nulls_last=True)


def decide(
    rule: ProgrammeRule,
    households: pl.DataFrame,
    members: pl.DataFrame,
    links: pl.DataFrame,
    member_links: pl.DataFrame | None = None,
) -> Decisions:
    """Apply ``rule`` to every household of ``households`` (members and links as described above).
    Deciding several programmes on the same inputs, pass ``member_links(members, links)`` once."""
    joined = member_links if member_links is not None else member_links_of(members, links)
    decided, evidence = _statuses(rule, households, members, joined)
    lines = pl.DataFrame(schema=LINE_SCHEMA)
    if rule.entitlement is not None:
        eligible = decided.filter(pl.col("status") == ELIGIBLE)
        lines = _entitlement_lines(rule.entitlement, eligible, members)
    period = rule.entitlement.period if rule.entitlement else None
    sums = lines.group_by("household_id").agg(
        pl.col("amount").filter(pl.col("period") == (period or "")).sum().alias("amount"),
        pl.col("amount").filter(pl.col("period") == "once").sum().alias("amount_once"),
    )
    decisions = decided.join(sums, on="household_id", how="left", maintain_order="left")
    if rule.entitlement is not None:
        eligible_now = pl.col("status") == ELIGIBLE
        decisions = decisions.with_columns(
            pl.when(eligible_now).then(pl.col("amount").fill_null(0.0)).alias("amount"),
            pl.when(eligible_now).then(pl.col("amount_once").fill_null(0.0)).alias("amount_once"),
        )
    return Decisions(decisions=decisions, lines=lines, evidence=evidence)
