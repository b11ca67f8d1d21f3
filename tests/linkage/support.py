"""A generated register loaded into the test database, for the linkage tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session, sessionmaker

from sijill.access.actor import Actor
from sijill.db import transaction
from sijill.population.bulk import load_synthetic_persons
from sijill.scoring.model import model_in_force, shipped_models
from sijill.social_registry.bulk_load import load_synthetic_households
from sijill.territory.service import import_territory


def load_register(factory: sessionmaker[Session], actor: Actor, synth: Path) -> pl.DataFrame:
    """Territory, persons and households of ``synth``; returns record_id → person_id."""
    with transaction(factory) as session:
        units = pl.read_parquet(synth / "territory.parquet").to_dicts()
        import_territory(session=session, actor=actor, records=units, source_name="synth")
        ids = load_synthetic_persons(session=session, actor=actor, persons_file=synth / "persons.parquet")
        model = model_in_force(shipped_models(), date(2026, 6, 1))
        load_synthetic_households(session=session, actor=actor, synth_dir=synth, person_ids=ids, model=model)
    return ids.select("record_id", "person_id")
