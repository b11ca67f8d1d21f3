"""Load register records in bulk (demo and migrations from legacy registers)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert
from sijill.population.idcs import random_idcs
from sijill.population.models import Person


def person_frame_from_synth(persons: pl.DataFrame, seed: int, actor: Actor) -> pl.DataFrame:
    """Shape synthetic register records as ``person`` rows, computed column-wise."""
    now = datetime.now(UTC)
    rng = np.random.default_rng([seed, 0x1DC5])
    idcs = random_idcs(rng, persons.height)
    # Random draws can collide (1 in 10^9 per pair); redraw the few duplicates until unique.
    while True:
        _, first = np.unique(idcs, return_index=True)
        repeated = np.setdiff1d(np.arange(idcs.size), first)
        if repeated.size == 0:
            break
        idcs[repeated] = random_idcs(rng, repeated.size)
    frame = persons.with_columns(
        pl.col("record_id").alias("id"),
        pl.Series("idcs", idcs),
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
        pl.lit(1).alias("version"),
        pl.lit(actor.username).alias("created_by"),
        pl.lit(now).alias("created_at"),
        pl.lit(actor.username).alias("updated_by"),
        pl.lit(now).alias("updated_at"),
    )
    return frame.select([c.name for c in Person.__table__.columns])


def load_synthetic_persons(*, session: Session, actor: Actor, persons_file: Path, seed: int) -> int:
    actor.require(Permission.PERSON_WRITE)
    persons = pl.read_parquet(persons_file)
    frame = person_frame_from_synth(persons, seed, actor)
    count = bulk_insert(session, Person.__table__, frame.to_arrow())  # type: ignore[arg-type]
    audit.record(session, actor, "person.bulk_load", "person", None, None, {"file": persons_file.name, "rows": count})
    return count
