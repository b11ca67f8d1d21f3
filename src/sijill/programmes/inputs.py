"""What a decision reads, as of its day: each household's latest declaration made on or before
that day, its index by the model used, its living members with their ages that day, and their
links in force in other registries.

The same reader serves one household (the counter, the API) and the whole registry (a national
run): only the WHERE clauses differ, never the logic, so both decide alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Connection

from sijill.bulk import identifier_literal, read_frame
from sijill.linkage.links import links_in_force
from sijill.programmes.decide import HOUSEHOLD_SCHEMA, MEMBER_SCHEMA
from sijill.scoring.survey import age_at


@dataclass(frozen=True)
class Inputs:
    as_of: date
    model: str
    households: pl.DataFrame
    members: pl.DataFrame
    links: pl.DataFrame


def with_ages(members: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Age in completed years and in completed months on ``as_of``; members not yet born then are
    not members then."""
    born, day = pl.col("born"), pl.lit(as_of)
    months = (
        (as_of.year - born.dt.year()) * 12
        + (as_of.month - born.dt.month())
        - (born.dt.day() > as_of.day).cast(pl.Int32)
    )
    return members.filter(born <= day).with_columns(
        age_at(born, day).alias("age"), months.cast(pl.Int64).alias("age_months")
    )


def in_decision_order(members: pl.DataFrame) -> pl.DataFrame:
    """Members by household, eldest first: the order `decide` reads ranks from."""
    return members.sort("household_id", "born", "person_id", nulls_last=True)


def _literal_day(day: date) -> str:
    return f"'{date.isoformat(day)}'"  # a date object, formatted here: nothing from input


# Some households (the counter, a batch of applications) rather than the whole registry.
Households = Sequence[int] | None


def _id_list(ids: Sequence[int]) -> str:
    # Integers formatted here: nothing from input reaches the SQL text. An empty list matches nothing.
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _declarations(connection: Connection, as_of: date, household_ids: Households) -> pl.DataFrame:
    one = f" AND d.household_id IN ({_id_list(household_ids)})" if household_ids is not None else ""
    sql = (
        "SELECT d.id, d.household_id, d.number, d.declarant_person_id, h.milieu, substr(h.annex_code, 1, 2) "  # noqa: S608
        "FROM declaration d JOIN household h ON h.id = d.household_id "
        f"WHERE h.status = 'active' AND d.declared_on <= {_literal_day(as_of)}{one}"
    )
    schema = {
        "declaration_id": pl.Int64(),
        "household_id": pl.Int64(),
        "number": pl.Int64(),
        "declarant_person_id": pl.Int64(),
        "milieu": pl.String(),
        "region": pl.String(),
    }
    versions = read_frame(connection, sql, schema)
    return versions.sort("number").group_by("household_id").last()


def _indexes(connection: Connection, model: str, household_ids: Households) -> pl.DataFrame:
    """declaration_id -> the index by ``model``: its latest correction, or the calculated score."""
    one = (
        f" AND s.declaration_id IN (SELECT id FROM declaration WHERE household_id IN ({_id_list(household_ids)}))"  # noqa: S608
        if household_ids is not None
        else ""
    )
    model_literal = identifier_literal(model)
    scores = read_frame(
        connection,
        f"SELECT s.declaration_id, s.id, s.score FROM index_score s WHERE s.model = {model_literal}{one}",  # noqa: S608
        {"declaration_id": pl.Int64(), "index_score_id": pl.Int64(), "score": pl.Float64()},
    )
    corrections = read_frame(
        connection,
        "SELECT c.index_score_id, c.id, c.corrected_score FROM score_correction c "  # noqa: S608
        f"JOIN index_score s ON s.id = c.index_score_id WHERE s.model = {model_literal}{one}",
        {"index_score_id": pl.Int64(), "id": pl.Int64(), "corrected_score": pl.Float64()},
    )
    latest = corrections.sort("id").group_by("index_score_id").agg(pl.col("corrected_score").last())
    return scores.join(latest, on="index_score_id", how="left").select(
        "declaration_id", pl.coalesce("corrected_score", "score").alias("index")
    )


_DECLARED_MEMBER: dict[str, pl.DataType] = {
    "declaration_id": pl.Int64(),
    "person_id": pl.Int64(),
    "relationship": pl.String(),
    "education": pl.String(),
    "in_school": pl.Boolean(),
    "occupation": pl.String(),
    "disability": pl.Boolean(),
    "marital_status": pl.String(),
}
_REGISTER_FACTS: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "sex": pl.String(),
    "born": pl.Date(),
    "death_date": pl.Date(),
}


def _members(
    connection: Connection, as_of: date, declarations: pl.DataFrame, household_ids: Households
) -> pl.DataFrame:
    if household_ids is not None and declarations.height == 0:
        return pl.DataFrame(schema=MEMBER_SCHEMA)
    one = (
        f" WHERE m.declaration_id IN ({_id_list(declarations['declaration_id'].to_list())})"
        if household_ids is not None
        else ""
    )
    # A birth year alone stands for 1 January, as at registration.
    if connection.dialect.name == "postgresql":
        year_only = "make_date(p.birth_year, 1, 1)"
    else:
        year_only = "printf('%04d-01-01', p.birth_year)"
    declared = read_frame(
        connection,
        "SELECT m.declaration_id, m.person_id, m.relationship, m.education, m.in_school, m.occupation, "  # noqa: S608
        f"m.disability, m.marital_status FROM declaration_member m{one}",
        _DECLARED_MEMBER,
    )
    # The register's facts are read apart and joined here: two plain scans cost PostgreSQL half of
    # what joining the two tables does (measured: 4.8 s against 8.4 s for 3.9 million members).
    whose = f" WHERE p.id IN (SELECT m.person_id FROM declaration_member m{one})" if one else ""  # noqa: S608
    register = read_frame(
        connection,
        f"SELECT p.id, p.sex, coalesce(p.birth_date, {year_only}), p.death_date FROM person p{whose}",  # noqa: S608
        _REGISTER_FACTS,
    )
    current = declarations.select("declaration_id", "household_id", "declarant_person_id")
    members = (
        declared.join(current, on="declaration_id")
        .join(register, on="person_id")
        # The dead lose their rights from the day after their death; their household keeps the others.
        .filter(pl.col("death_date").is_null() | (pl.col("death_date") >= pl.lit(as_of)))
        .with_columns((pl.col("person_id") == pl.col("declarant_person_id")).alias("is_declarant"))
    )
    return in_decision_order(with_ages(members, as_of).select(MEMBER_SCHEMA.keys()))


def with_index_of(connection: Connection, households: pl.DataFrame, model: str) -> pl.DataFrame:
    """The same households with their index by another model (null where it has not scored them)."""
    indexes = _indexes(connection, model, None)
    return households.drop("index").join(indexes, on="declaration_id", how="left").select(HOUSEHOLD_SCHEMA.keys())


def read_inputs(connection: Connection, *, as_of: date, model: str, household_ids: Households = None) -> Inputs:
    """Every household's inputs (or those of ``household_ids``) for decisions on ``as_of``."""
    declarations = _declarations(connection, as_of, household_ids)
    indexes = _indexes(connection, model, household_ids)
    households = declarations.join(indexes, on="declaration_id", how="left").select(HOUSEHOLD_SCHEMA.keys())
    members = _members(connection, as_of, declarations, household_ids)
    person_ids = members.get_column("person_id").to_list() if household_ids is not None else None
    links = links_in_force(connection, as_of, person_ids).select("person_id", "registry", "external_record_id")
    return Inputs(as_of=as_of, model=model, households=households.sort("household_id"), members=members, links=links)
