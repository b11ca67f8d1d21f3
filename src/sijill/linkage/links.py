"""What other registries say about register persons on a given day: the one interface programmes
use for their exclusions.

Today the links are exact (same IDCS or CIN, probability 1); probabilistic links will be rows of
the same table with their own probability, and this function's answer keeps its shape.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Connection

from sijill.bulk import read_frame

# A link below this probability does not exclude anyone: it goes to review instead.
EXCLUSION_MIN_PROBABILITY = 0.9

LINK_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.Int64(),
    "registry": pl.String(),
    "external_record_id": pl.Int64(),
    "match_probability": pl.Float64(),
}


def links_in_force(connection: Connection, day: date, person_ids: list[int] | None = None) -> pl.DataFrame:
    """person_id, registry, external_record_id, match_probability of every link whose record is in
    force on ``day`` (all persons, or those of ``person_ids``)."""
    on = date.isoformat(day)  # a date object, formatted here: nothing from input reaches the SQL
    persons = ""
    if person_ids is not None:
        if not person_ids:
            return pl.DataFrame(schema=LINK_SCHEMA)
        persons = f" AND coalesce(p.merged_into_id, l.person_id) IN ({', '.join(str(int(p)) for p in person_ids)})"
    # A link to a record since merged into another counts for the record that survives. Only merged
    # records are joined (by the merged_into index): joining the whole register cost 3 s a million links.
    sql = (
        "SELECT coalesce(p.merged_into_id, l.person_id), l.registry_kind, l.external_record_id, "  # noqa: S608
        "l.match_probability FROM person_link l JOIN external_record e ON e.id = l.external_record_id "
        "LEFT JOIN (SELECT id, merged_into_id FROM person WHERE merged_into_id IS NOT NULL) p ON p.id = l.person_id "
        f"WHERE (e.valid_from IS NULL OR e.valid_from <= '{on}') AND (e.valid_to IS NULL OR e.valid_to >= '{on}') "
        f"AND l.match_probability >= {EXCLUSION_MIN_PROBABILITY}{persons}"
    )
    return read_frame(connection, sql, LINK_SCHEMA)
