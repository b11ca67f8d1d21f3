"""Writes of the territory context: one transaction each, audited, by an authorised actor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.territory.importer import import_units
from sijill.territory.reference import reference_units


def load_reference(*, session: Session, actor: Actor) -> dict[str, int]:
    """Load the packaged regions and provinces; running it again changes nothing."""
    actor.require(Permission.TERRITORY_WRITE)
    records = [asdict(unit) for unit in reference_units()]
    counts = import_units(session, records)
    if counts["created_versions"]:
        audit.record(session, actor, "territory.load_reference", "territory_unit", details=counts)
    return counts


def import_territory(
    *, session: Session, actor: Actor, records: Iterable[Mapping[str, Any]], source_name: str
) -> dict[str, int]:
    """Import communes and annexes/caïdats; all lines or none."""
    actor.require(Permission.TERRITORY_WRITE)
    counts = import_units(session, records)
    audit.record(session, actor, "territory.import", "territory_unit", details={"file": source_name, **counts})
    return counts
