"""Load register records in bulk (demo and migrations from legacy registers)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert, record_stamp, table_of, widen_sqlite_cache
from sijill.bulk_mode import rebuilt_after
from sijill.ids import reserve_ids
from sijill.population.batch_candidates import register_size
from sijill.population.blocks import name_key_column
from sijill.population.idcs import issue
from sijill.population.models import Person


def person_frame_from_synth(
    persons: pl.DataFrame, idcs: list[str], ids: NDArray[np.int64], actor: Actor
) -> pl.DataFrame:
    """Shape synthetic register records as ``person`` rows, computed column-wise."""
    now = datetime.now(UTC)
    frame = persons.with_columns(
        pl.Series("id", ids),
        pl.Series("idcs", idcs, dtype=pl.String),
        pl.when(pl.col("birth_date").is_null())
        .then(pl.lit("year"))
        .when(pl.col("birth_date_presumed"))
        .then(pl.lit("presumed"))
        .otherwise(pl.lit("day"))
        .alias("birth_date_precision"),
        # A duplicate registration reusing a CIN could not have passed the register's unique
        # check, so only the first holder keeps it.
        pl.when(pl.col("cin").is_first_distinct()).then(pl.col("cin")).otherwise(None).alias("cin"),
        pl.when(pl.col("death_date").is_null()).then(pl.lit("active")).otherwise(pl.lit("deceased")).alias("status"),
        pl.lit(None, dtype=pl.Int64).alias("merged_into_id"),
        name_key_column("given_name_lat", "given_name_ar").alias("given_key"),
        name_key_column("family_name_lat", "family_name_ar").alias("family_key"),
        name_key_column("father_given_name_lat", "father_given_name_ar").alias("father_key"),
        *record_stamp(actor.username, now),
    ).with_columns(
        # Who registered the person, and when, as the source register says: what the agents'
        # figures count. The load itself is in the audit log and in updated_by/updated_at.
        pl.col("registered_by").alias("created_by"),
        pl.col("registered_on").cast(pl.Datetime("us", "UTC")).alias("created_at"),
    )
    return frame.select([c.name for c in table_of(Person).columns])


def load_synthetic_persons(*, session: Session, actor: Actor, persons_file: Path) -> pl.DataFrame:
    """Load synthetic register records; returns which person id each ``record_id`` became."""
    actor.require(Permission.PERSON_WRITE)
    persons = pl.read_parquet(persons_file)
    # A load at least the register's size builds the indexes once at the end (as an import does).
    rebuild = persons.height >= register_size(session)
    widen_sqlite_cache(session)
    with rebuilt_after(session, ("person",)) if rebuild else nullcontext():
        numbers = issue(session, persons.height, issued_by=actor.username)
        # Ids come from the table's own sequence, so registrations made afterwards never collide.
        ids = reserve_ids(session, table_of(Person), persons.height, table_locked=rebuild)
        frame = person_frame_from_synth(persons, numbers, ids, actor)
        count = bulk_insert(session, table_of(Person), frame.to_arrow())
    audit.record(session, actor, "person.bulk_load", "person", None, None, {"file": persons_file.name, "rows": count})
    return pl.DataFrame({"record_id": persons.get_column("record_id"), "person_id": ids})
