"""Agent anomalies: who enters records unlike the agents around them.

Per agent, from the records of the reader's territory (persons by the user who registered them,
households by the agent of their latest declaration): registrations per working day, the share
of their persons breaking each data rule, and the share of one-person households among those
they declared. Each is compared with the agent's *peers*, the other agents of the same province
(the province of the annex where most of the agent's records are):

* shares against the peers' pooled rate (the agent left out, so that a bad agent does not hide
  in their own baseline), as a z-score whose binomial spread is widened by the dispersion agents
  show across the territory (records come in households, households in villages: agents differ
  more than chance makes them). Flagged above ``Z_LIMIT``;
* registrations per day with a robust z-score against the peers' median (median absolute
  deviation), flagged above ``Z_LIMIT``.

An agent with fewer than ``MIN_RECORDS`` records says nothing either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import norm

from sijill.quality.stats import binomial_tail
from sijill.quality.violations import Violations

PEER_PARTS = 2  # the province: two parts of the annex code
Z_LIMIT = 4.0
MIN_RECORDS = 30
MIN_DAYS = 5
# The median absolute deviation of a normal law is 0.6745 of its standard deviation.
MAD_SCALE = 1.4826
# The median of a chi-squared law with one degree of freedom.
CHI2_MEDIAN = 0.4549
# Registrations per day hardly vary where each agent registers one or two a day: a spread below
# a quarter of the peers' median is taken as that quarter, or ordinary agents would stand out.
MIN_RELATIVE_SPREAD = 0.25


@dataclass(frozen=True)
class AgentReport:
    # One row per agent: agent, annex_code, area, persons, days, max_day, per_day, per_day_z,
    # per_day_peer_median, households, one_person, one_person_share, one_person_peer_share,
    # one_person_z, worst_rule, worst_rule_share, worst_rule_peer_share, worst_rule_z,
    # reasons (list), flagged, z (the strongest); flagged first, then by z.
    agents: pl.DataFrame
    # agent, rule, violations, persons, share, peer_share, z: each rule of each agent.
    rules: pl.DataFrame

    @property
    def empty(self) -> bool:
        return self.agents.is_empty()


def _peer_rate(count: str, total: str, *window: str) -> pl.Expr:
    """The rate of the agent's peers (the agent left out), with half an event added so that peers
    who never broke a rule do not make one slip a certainty; null without peers."""
    others = pl.col(total).sum().over(*window) - pl.col(total)
    events = pl.col(count).sum().over(*window) - pl.col(count)
    return pl.when(others > 0).then((events + 0.5) / (others + 1))


def _with_z(frame: pl.DataFrame, count: str, total: str, rate: str, name: str, *window: str) -> pl.DataFrame:
    """Add ``name``: the agent's count against the peers' rate, in standard deviations.

    The exact binomial tail, read as a normal quantile (counts of rare rules are small, where
    the normal approximation would make one slip a scandal), then shrunk by the dispersion: how
    much more agents differ than chance alone makes them (the median squared Pearson residual
    over its chance value, at least 1). Records come in households, households in villages:
    agents differ for reasons of their own, not only by chance.
    """
    expected = pl.col(total) * pl.col(rate)
    residual = (pl.col(count) - expected) / (expected * (1 - pl.col(rate))).sqrt()
    usable = pl.col(total) >= MIN_RECORDS
    typical = residual.pow(2).filter(usable).median()
    dispersion = ((typical.over(*window) if window else typical) / CHI2_MEDIAN).clip(lower_bound=1.0)
    frame = frame.with_columns(dispersion.alias("_dispersion"))
    tail = binomial_tail(frame[count], frame[total], frame[rate]).to_numpy()
    # Tails below 1e-300 read as z = 37: far enough.
    z = pl.Series(norm.isf(np.clip(tail, 1e-300, 1.0)), dtype=pl.Float64).fill_nan(None)
    return frame.with_columns(pl.when(usable).then((z / pl.col("_dispersion").sqrt()).round(2)).alias(name)).drop(
        "_dispersion"
    )


def _areas(violations: Violations) -> pl.DataFrame:
    """agent, annex_code (where most of their records are), area (its province)."""
    return (
        violations.records.group_by("agent", "annex_code")
        .len()
        .sort(["agent", "len", "annex_code"], descending=[False, True, False])
        .unique("agent", keep="first")
        .select(
            "agent",
            "annex_code",
            pl.col("annex_code").str.split(".").list.head(PEER_PARTS).list.join(".").alias("area"),
        )
    )


def _rule_shares(violations: Violations, areas: pl.DataFrame) -> pl.DataFrame:
    people = violations.records.filter(pl.col("entity") == "person")
    persons = people.group_by("agent").agg(pl.len().alias("persons"))
    broken = (
        violations.broken.filter(pl.col("entity") == "person")
        .join(people.select("id", "agent"), on="id")
        .group_by("agent", "rule")
        .agg(pl.len().alias("violations"))
    )
    rules = broken.select("rule").unique()
    # Every agent for every rule, zero where they broke none: peers' rates need the zeros.
    grid = persons.join(rules, how="cross").join(broken, on=["agent", "rule"], how="left")
    grid = grid.with_columns(pl.col("violations").fill_null(0)).join(areas.select("agent", "area"), on="agent")
    shares = grid.with_columns(
        (pl.col("violations") / pl.col("persons")).round(4).alias("share"),
        _peer_rate("violations", "persons", "area", "rule").alias("peer_share"),
    )
    shares = _with_z(shares, "violations", "persons", "peer_share", "z", "rule")
    return (
        shares.with_columns(pl.col("peer_share").round(4))
        .select("agent", "rule", "violations", "persons", "share", "peer_share", "z")
        .sort("agent", "rule")
    )


def _volumes(violations: Violations, areas: pl.DataFrame) -> pl.DataFrame:
    registered = violations.registered.join(
        violations.records.filter(pl.col("entity") == "person").select("id", "agent"), on="id"
    )
    per_day = registered.group_by("agent", "created_on").agg(pl.len().alias("n"))
    volumes = (
        per_day.group_by("agent")
        .agg(pl.col("n").sum().alias("persons"), pl.len().alias("days"), pl.col("n").max().alias("max_day"))
        .with_columns((pl.col("persons") / pl.col("days")).round(2).alias("per_day"))
        .join(areas.select("agent", "area"), on="agent")
    )
    median = pl.col("per_day").median().over("area")
    spread = pl.max_horizontal(
        (pl.col("per_day") - median).abs().median().over("area") * MAD_SCALE, median * MIN_RELATIVE_SPREAD
    )
    return volumes.with_columns(
        pl.when((spread > 0) & (pl.col("days") >= MIN_DAYS))
        .then(((pl.col("per_day") - median) / spread).round(2))
        .alias("per_day_z"),
        median.alias("per_day_peer_median"),
    ).drop("area", "persons")


def _one_person(violations: Violations, areas: pl.DataFrame) -> pl.DataFrame:
    declared = (
        violations.records.filter(pl.col("entity") == "household")
        .join(violations.household_members, on="id")
        .group_by("agent")
        .agg(pl.len().alias("households"), (pl.col("members") == 1).sum().alias("one_person"))
        .join(areas.select("agent", "area"), on="agent")
        .with_columns(_peer_rate("one_person", "households", "area").alias("one_person_peer_share"))
    )
    declared = _with_z(declared, "one_person", "households", "one_person_peer_share", "one_person_z")
    return declared.with_columns(
        (pl.col("one_person") / pl.col("households")).round(4).alias("one_person_share"),
        pl.col("one_person_peer_share").round(4),
    ).drop("area")


def agent_anomalies(violations: Violations) -> AgentReport:
    """The agents of the evaluated records, each compared with their peers."""
    if violations.empty:
        return AgentReport(pl.DataFrame(schema={"agent": pl.String(), "flagged": pl.Boolean()}), pl.DataFrame())
    areas = _areas(violations)
    rules = _rule_shares(violations, areas)
    worst = (
        rules.filter(pl.col("z").is_not_null())
        .sort(["agent", "z"], descending=[False, True])
        .unique("agent", keep="first")
        .select(
            "agent",
            pl.col("rule").alias("worst_rule"),
            pl.col("share").alias("worst_rule_share"),
            pl.col("peer_share").alias("worst_rule_peer_share"),
            pl.col("z").alias("worst_rule_z"),
        )
    )
    persons = rules.group_by("agent").agg(
        pl.col("persons").first(), pl.col("rule").filter(pl.col("z") > Z_LIMIT).sort().alias("rules_out")
    )
    agents = (
        areas.join(persons, on="agent", how="left")
        .join(_volumes(violations, areas), on="agent", how="left")
        .join(_one_person(violations, areas), on="agent", how="left")
        .join(worst, on="agent", how="left")
        .with_columns(pl.col("persons").fill_null(0))
    )
    reasons = pl.concat_list(
        pl.col("rules_out").fill_null([]),
        pl.when(pl.col("one_person_z") > Z_LIMIT).then(pl.lit("one_person_households")),
        pl.when(pl.col("per_day_z") > Z_LIMIT).then(pl.lit("registrations_per_day")),
    ).list.drop_nulls()
    agents = (
        agents.with_columns(reasons.alias("reasons"))
        .with_columns((pl.col("reasons").list.len() > 0).alias("flagged"))
        .drop("rules_out")
    )
    strongest = pl.max_horizontal(pl.col("worst_rule_z"), pl.col("one_person_z"), pl.col("per_day_z"))
    ranked = agents.with_columns(strongest.alias("z")).sort(
        ["flagged", "z", "agent"], descending=[True, True, False], nulls_last=True
    )
    return AgentReport(ranked, rules)
