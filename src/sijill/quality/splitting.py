"""Household splitting: a member leaves a family to form a one-person household just before applying.

A flat benefit per household rewards a family that becomes two on paper. The split-off household
has one member; the household it came from (its *origin*) is in the same annex and was declared
before it. What ties the two, strongest first:

* ``moved``: the register recorded it: the member's membership of the origin closed, and the
  one-person household was declared within ``months`` after;
* ``same_dwelling``: the same address (compared without case, accents, punctuation or spacing).
  An address a few households share (``DWELLING_MAX``) is a dwelling and suffices; one that many
  share (a douar, a block of flats) also needs ``family_tie``: the member carries the family name
  of someone in the origin;
* ``same_phone``: the member's phone is the phone of someone in the origin.

For the inferred links (no recorded move) the one-person household must have been declared within
``months`` after the origin: a family that lived apart for years is not a split before applying.
Each origin and its split-offs form a cluster, shown with its timeline (origin declared, member
left, split-off declared, applications). Everything is read set-based for the reader's territory.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.access.scope import in_scope, within
from sijill.enrollment.models import Application
from sijill.population.models import Person
from sijill.quality.frames import select_frame
from sijill.quality.funnel import check_territory
from sijill.quality.one_person import households_statement
from sijill.quality.stats import binomial_tail
from sijill.social_registry.models import Household, HouseholdMember

DEFAULT_MONTHS = 18
# More households than this at one address: a douar or a building, not one dwelling.
DWELLING_MAX = 4
# An annex is flagged when its count of split-offs has less than this chance of occurring at the
# rate of the other annexes (one-sided; about z = 3.1, the one-person funnel plot's level).
P_LIMIT = 0.001
ID_CHUNK = 10_000
SIGNALS = ("moved", "same_dwelling", "same_phone", "family_tie")
_HOUSEHOLDS = {
    "household_id": pl.Int64(),
    "annex_code": pl.String(),
    "milieu": pl.String(),
    "address": pl.String(),
    "size": pl.Int64(),
    "declared_on": pl.Date(),
}
_MEMBERS = {
    "household_id": pl.Int64(),
    "person_id": pl.Int64(),
    "family_key": pl.String(),
    "phone": pl.String(),
}
_MOVES = {"person_id": pl.Int64(), "household_id": pl.Int64(), "left_on": pl.Date()}
_APPLICATIONS = {"household_id": pl.Int64(), "receipt": pl.String(), "applied_on": pl.Date()}


@dataclass(frozen=True)
class SplittingReport:
    months: int
    # One row per split-off: household_id, origin_household_id, annex_code, person_id, idcs, the
    # signals (booleans), origin_declared_on, left_on, declared_on, days_after_origin, applied_on.
    splits: pl.DataFrame
    # One row per origin: cluster (the origin's id), annex_code, split_offs, household_ids,
    # timeline (a list of {day, event, household_id}, oldest first).
    clusters: pl.DataFrame
    # annex_code, households, splits, clusters, expected (from the other annexes of the territory),
    # p_value, flagged; most surprising first.
    by_annex: pl.DataFrame

    @property
    def empty(self) -> bool:
        return self.splits.is_empty()


def address_key(address: pl.Expr) -> pl.Expr:
    """An address as it is meant: "N° 12, Rue  Atlas" and "n 12 rue atlas" are one dwelling."""
    return (
        address.str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_all(r"\bn(?:°|o)?\.?\s*([0-9])", "$1")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def _read(session: Session, actor: Actor, code: str | None) -> dict[str, pl.DataFrame]:
    where = (in_scope(actor, Household.annex_code), within(code, Household.annex_code), Household.status == "active")
    households = households_statement(actor, code, Household.address)
    members = (
        select(
            HouseholdMember.household_id,
            Person.id,
            Person.family_key,
            Person.phone,
        )
        .join(Person, Person.id == HouseholdMember.person_id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(HouseholdMember.valid_to.is_(None), *where)
    )
    moves = (
        select(HouseholdMember.person_id, HouseholdMember.household_id, HouseholdMember.valid_to)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(HouseholdMember.valid_to.is_not(None), in_scope(actor, Household.annex_code))
    )
    applications = (
        select(Application.household_id, Application.receipt, func.date(Application.received_at))
        .join(Household, Household.id == Application.household_id)
        .where(*where)
    )
    return {
        "households": select_frame(session, households, _HOUSEHOLDS),
        "members": select_frame(session, members, _MEMBERS),
        "moves": select_frame(session, moves, _MOVES),
        "applications": select_frame(session, applications, _APPLICATIONS),
    }


def _family_ties(pairs: pl.DataFrame, singles: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """The ``pairs`` (household_id, origin_household_id) whose single member carries the family
    name of someone in the origin (given names are too common to tie anyone)."""
    origin_names = members.filter(pl.col("family_key").is_not_null()).select(
        pl.col("household_id").alias("origin_household_id"), "family_key"
    )
    return (
        pairs.join(singles.select("household_id", "family_key"), on="household_id")
        .join(origin_names, on=["origin_household_id", "family_key"], how="semi")
        .select("household_id", "origin_household_id", pl.lit(True).alias("family_tie"))
        .unique()
    )


def _split_offs(frames: dict[str, pl.DataFrame], months: int) -> pl.DataFrame:
    households = frames["households"].with_columns(address_key(pl.col("address")).alias("address_key"))
    households = households.with_columns(pl.len().over("annex_code", "address_key").alias("address_households"))
    members = frames["members"]
    singles = (
        households.filter(pl.col("size") == 1)
        .join(members, on="household_id")
        .select(
            "household_id",
            "annex_code",
            "address_key",
            "address_households",
            "declared_on",
            "person_id",
            "family_key",
            "phone",
        )
    )
    origins = households.select(
        pl.col("household_id").alias("origin_household_id"),
        "annex_code",
        "address_key",
        pl.col("declared_on").alias("origin_declared_on"),
    )
    earlier = (pl.col("origin_household_id") != pl.col("household_id")) & (
        pl.col("origin_declared_on") <= pl.col("declared_on")
    )
    soon = pl.col("declared_on") <= pl.col("origin_declared_on").dt.offset_by(f"{months}mo")
    at_address = (
        singles.join(origins, on=["annex_code", "address_key"])
        .filter(earlier & soon)
        .select("household_id", "origin_household_id", "address_households")
    )
    dwelling = (
        at_address.join(
            _family_ties(at_address, singles, members), on=["household_id", "origin_household_id"], how="left"
        )
        .filter((pl.col("address_households") <= DWELLING_MAX) | pl.col("family_tie").fill_null(False))
        .select("household_id", "origin_household_id", pl.lit(True).alias("same_dwelling"), "family_tie")
    )
    phones = members.filter(pl.col("phone").is_not_null()).select(
        pl.col("household_id").alias("origin_household_id"), "phone"
    )
    by_phone = (
        singles.filter(pl.col("phone").is_not_null())
        .join(phones, on="phone")
        .join(origins.drop("address_key"), on=["origin_household_id", "annex_code"])
        .filter(earlier & soon)
        .select("household_id", "origin_household_id", pl.lit(True).alias("same_phone"))
        .unique()
    )
    # The register's own record of the move: the member's closed membership of the origin.
    moved = (
        singles.join(frames["moves"].rename({"household_id": "origin_household_id"}), on="person_id")
        .filter(
            (pl.col("origin_household_id") != pl.col("household_id"))
            & (pl.col("left_on") <= pl.col("declared_on"))
            & (pl.col("declared_on") <= pl.col("left_on").dt.offset_by(f"{months}mo"))
        )
        .select("household_id", "origin_household_id", "left_on", pl.lit(True).alias("moved"))
        .unique(["household_id", "origin_household_id"])
    )
    tied = pl.concat([moved, by_phone], how="diagonal").select("household_id", "origin_household_id")
    others = tied.join(_family_ties(tied, singles, members), on=["household_id", "origin_household_id"], how="left")
    pairs = (
        pl.concat([moved, dwelling, by_phone, others], how="diagonal")
        .group_by("household_id", "origin_household_id")
        .agg(pl.col("left_on").max(), *(pl.col(s).fill_null(False).any() for s in SIGNALS))
    )
    # A split-off has one origin: the strongest tie, then the latest origin declared before it.
    origin_days = origins.select("origin_household_id", "origin_declared_on")
    return (
        pairs.join(origin_days, on="origin_household_id")
        .sort(
            ["household_id", *SIGNALS, "origin_declared_on"],
            descending=[False, True, True, True, True, True],
        )
        .unique("household_id", keep="first")
        .join(singles.select("household_id", "annex_code", "person_id", "declared_on"), on="household_id")
    )


def _annex_test(households: pl.DataFrame, splits: pl.DataFrame) -> pl.DataFrame:
    """Split-offs per annex against the rate of the other annexes of its milieu.

    Chance ties happen everywhere (a douar shares one address and a few family names); what stands
    out is an annex with more than its size explains. Each annex's expected count uses the rate of
    the *other* annexes, so that a splitting annex does not raise its own bar; the tail of the
    binomial is exact, since counts are small.
    """
    counted = (
        households.group_by("annex_code", "milieu")
        .agg(pl.len().alias("households"))
        .join(
            splits.join(households.select("household_id", "milieu"), on="household_id")
            .group_by("annex_code", "milieu")
            .agg(pl.len().alias("splits")),
            on=["annex_code", "milieu"],
            how="left",
        )
        .with_columns(pl.col("splits").fill_null(0))
    )
    others_households = pl.col("households").sum().over("milieu") - pl.col("households")
    others_splits = pl.col("splits").sum().over("milieu") - pl.col("splits")
    rated = counted.with_columns(
        pl.when(others_households > 0).then(others_splits / others_households).alias("rate")
    ).with_columns((pl.col("households") * pl.col("rate")).alias("expected"))
    annexes = rated.group_by("annex_code").agg(
        pl.col("households").sum(),
        pl.col("splits").sum(),
        pl.when(pl.col("expected").is_not_null().any()).then(pl.col("expected").sum()),
    )
    rate = annexes.select(pl.col("expected") / pl.col("households").clip(lower_bound=1)).to_series()
    p_value = binomial_tail(annexes["splits"], annexes["households"], rate)
    clusters = splits.group_by("annex_code").agg(pl.col("origin_household_id").n_unique().alias("clusters"))
    return (
        annexes.with_columns(p_value.alias("p_value"), pl.col("expected").round(2))
        .join(clusters, on="annex_code", how="left")
        .with_columns(
            pl.col("clusters").fill_null(0),
            (pl.col("p_value") < P_LIMIT).fill_null(False).alias("flagged"),
        )
        .select("annex_code", "households", "splits", "clusters", "expected", "p_value", "flagged")
        .sort(["p_value", "annex_code"], nulls_last=True)
    )


def _timeline(splits: pl.DataFrame) -> pl.DataFrame:
    def event(day: str, name: str, household: str) -> pl.DataFrame:
        return splits.filter(pl.col(day).is_not_null()).select(
            pl.col("origin_household_id").alias("cluster"),
            pl.col(day).alias("day"),
            pl.lit(name).alias("event"),
            pl.col(household).alias("household_id"),
        )

    events = pl.concat(
        [
            event("origin_declared_on", "origin_declared", "origin_household_id").unique(),
            event("left_on", "member_left", "household_id"),
            event("declared_on", "split_off_declared", "household_id"),
            event("applied_on", "applied", "household_id"),
        ]
    ).sort("cluster", "day", "event", "household_id")
    return events.group_by("cluster", maintain_order=True).agg(
        pl.struct("day", "event", "household_id").alias("timeline")
    )


def household_splitting(
    session: Session, actor: Actor, code: str | None = None, months: int = DEFAULT_MONTHS
) -> SplittingReport:
    """Split-off one-person households in the reader's territory (inside ``code``), with their clusters."""
    actor.require(Permission.PERSON_READ)
    check_territory(actor, code)
    frames = _read(session, actor, code)
    first_application = frames["applications"].sort("applied_on").unique("household_id", keep="first")
    found = _split_offs(frames, months)
    # The identifiers of the split-off members only (a few per annex), not of the territory.
    movers = found["person_id"].to_list()
    rows: list[tuple[int, str]] = []
    # In chunks: a statement holds at most 32,766 parameters on SQLite, 65,535 on PostgreSQL.
    for start in range(0, len(movers), ID_CHUNK):
        chunk = movers[start : start + ID_CHUNK]
        rows += [
            (pid, number) for pid, number in session.execute(select(Person.id, Person.idcs).where(Person.id.in_(chunk)))
        ]
    idcs = pl.DataFrame(rows, schema={"person_id": pl.Int64(), "idcs": pl.String()}, orient="row")
    splits = (
        found.join(first_application.select("household_id", "applied_on"), on="household_id", how="left")
        .join(idcs, on="person_id", how="left")
        .with_columns((pl.col("declared_on") - pl.col("origin_declared_on")).dt.total_days().alias("days_after_origin"))
        .select(
            "household_id",
            "origin_household_id",
            "annex_code",
            "person_id",
            "idcs",
            *SIGNALS,
            "origin_declared_on",
            "left_on",
            "declared_on",
            "days_after_origin",
            "applied_on",
        )
        .sort("annex_code", "origin_household_id", "household_id")
    )
    clusters = (
        splits.group_by(pl.col("origin_household_id").alias("cluster"), "annex_code")
        .agg(pl.len().alias("split_offs"), pl.col("household_id").sort().alias("household_ids"))
        .join(_timeline(splits), on="cluster")
        .sort(["split_offs", "annex_code", "cluster"], descending=[True, False, False])
    )
    by_annex = _annex_test(frames["households"], splits)
    audit.record(
        session, actor, "quality.household_splitting", "report", code, actor.scope_code, {"splits": splits.height}
    )
    return SplittingReport(months, splits, clusters, by_annex)
