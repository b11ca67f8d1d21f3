"""The application a household's declarant would fill in for a programme, from the registries:
for the demo (files in the annexes' queues) and the enrollment benchmark (forms that pass every
check). Read set-based for the whole registry; the programme's rule picks the eligible households."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection

from sijill.bulk import read_frame
from sijill.programmes.decide import ELIGIBLE, decide
from sijill.programmes.inputs import read_inputs
from sijill.programmes.rules import rule_in_force, shipped_rules
from sijill.programmes.service import model_ref


def eligible_household_forms(connection: Connection, programme: str, day: date, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` forms of households eligible for ``programme`` on ``day``: the declarant
    applies for the household's current members, with the declared address and the declarant's
    phone, and names the household's annex."""
    inputs = read_inputs(connection, as_of=day, model=model_ref(day, None))
    rule = rule_in_force(shipped_rules(), programme, day)
    decided = decide(rule, inputs.households, inputs.members, inputs.links).decisions
    eligible = decided.filter(pl.col("status") == ELIGIBLE).select("household_id").sort("household_id").head(limit)
    members = read_frame(
        connection,
        "SELECT household_id, person_id FROM household_member WHERE valid_to IS NULL",
        {"household_id": pl.Int64(), "person_id": pl.Int64()},
    )
    persons = read_frame(
        connection,
        "SELECT id, idcs, phone FROM person",
        {"person_id": pl.Int64(), "idcs": pl.String(), "phone": pl.String()},
    )
    households = read_frame(
        connection,
        "SELECT id, address, annex_code FROM household",
        {"household_id": pl.Int64(), "address": pl.String(), "annex_code": pl.String()},
    )
    declarants = inputs.members.filter(pl.col("is_declarant")).select(
        "household_id", pl.col("person_id").alias("declarant_person_id")
    )
    is_declarant = pl.col("person_id") == pl.col("declarant_person_id")
    frame = (
        members.join(eligible, on="household_id")
        .join(persons, on="person_id")
        .join(declarants, on="household_id")
        .group_by("household_id")
        .agg(
            pl.col("idcs").filter(is_declarant).first().alias("applicant"),
            pl.col("phone").filter(is_declarant).first().alias("phone"),
            pl.col("idcs").filter(~is_declarant).sort().alias("others"),
        )
        .join(households, on="household_id")
        .sort("household_id")
    )
    return [
        {
            "applicant_idcs": row["applicant"],
            "members": [{"idcs": idcs} for idcs in row["others"]],
            "address": row["address"],
            "phone": row["phone"],
            "annex_code": row["annex_code"],
        }
        for row in frame.iter_rows(named=True)
    ]
