"""Probabilistic links from another registry's records to register persons.

The import (`registries.py`) links a record exactly when it carries the IDCS or the CIN of a
register person. Records with neither, or with an identifier the register does not know, are
linked here by the linkage model: names, birth date and what else the registry has. The model is
trained on the whole extract against the register, so that the records the CIN already placed
teach it how this registry writes names and dates; only records without an exact link get a
probabilistic one, each to its single most likely person.

A link is stored with its probability and its evidence (each comparison's weight). Programmes'
exclusions count links from `links.EXCLUSION_MIN_PROBABILITY`: below that a link is information
for a reviewer, never a reason to refuse anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import delete, exists, func, null, select
from sqlalchemy.orm import Session

from sijill.access import audit
from sijill.access.actor import Actor
from sijill.access.roles import Permission
from sijill.bulk import bulk_insert, table_of
from sijill.linkage.features import linkage_features
from sijill.linkage.links import EXCLUSION_MIN_PROBABILITY
from sijill.linkage.models import ExternalRecord, PersonLink
from sijill.linkage.person_file import person_frame
from sijill.linkage.register_records import REGISTER_COLUMNS, register_records
from sijill.linkage.registries import REGISTRIES, unknown_registry
from sijill.linkage.splink_run import LinkageOptions, link
from sijill.population.models import Person

# Links from this probability are stored (for review); EXCLUSION_MIN_PROBABILITY makes them count.
STORE_FROM = 0.5
METHOD = "probabilistic"


@dataclass(frozen=True)
class ProbabilisticLinkReport:
    registry: str
    records: int
    exactly_linked: int
    linked: int  # new probabilistic links, one per record at most
    excluding: int  # of which at or above the exclusion probability
    seconds: dict[str, float]


def _external_frame(session: Session, registry: str) -> tuple[pl.DataFrame, set[int]]:
    linked_exactly = exists().where(PersonLink.external_record_id == ExternalRecord.id, PersonLink.method != METHOD)
    rows = session.execute(
        select(
            ExternalRecord.id,
            ExternalRecord.cin,
            ExternalRecord.given_name_lat,
            ExternalRecord.family_name_lat,
            ExternalRecord.birth_date,
            ExternalRecord.birth_year,
            linked_exactly,
        ).where(ExternalRecord.registry_kind == registry)
    ).all()
    frame = pl.DataFrame(
        [tuple(row) for row in rows],
        schema=["record_id", "cin", "given_name_lat", "family_name_lat", "birth_date", "birth_year", "exact"],
        orient="row",
        infer_schema_length=None,
    )
    exact = set(frame.filter(pl.col("exact"))["record_id"].to_list())
    text = frame.select(
        pl.col("record_id").cast(pl.String),
        pl.col("cin").cast(pl.String),
        pl.col("given_name_lat").cast(pl.String),
        pl.col("family_name_lat").cast(pl.String),
        pl.coalesce(pl.col("birth_date").cast(pl.String), pl.col("birth_year").cast(pl.String)).alias("birth_date"),
    )
    return text, exact


def link_registry(
    *, session: Session, actor: Actor, registry: str, options: LinkageOptions | None = None
) -> ProbabilisticLinkReport:
    """Replace ``registry``'s probabilistic links with those the model finds now."""
    actor.require(Permission.REGISTRY_IMPORT)
    if registry not in REGISTRIES:
        raise unknown_registry(registry)
    options = options or LinkageOptions(threshold=STORE_FROM, keep_from=STORE_FROM)
    external, exact = _external_frame(session, registry)
    columns = [getattr(Person, c) for c in REGISTER_COLUMNS if c != "household_id"]
    # Households do not matter across registries: no two records of one file are paired.
    people = session.execute(select(*columns, null()).where(Person.status == "active")).all()
    register = register_records(tuple(row) for row in people)
    records = person_frame(external, registry, allow_single=True).records
    result = link(linkage_features(register), linkage_features(records), options)
    weights = [c for c in result.pairs.columns if c.startswith("w_")]
    best = (
        result.pairs.with_columns(pl.col("right_id").cast(pl.Int64), pl.col("left_id").cast(pl.Int64))
        .filter(~pl.col("right_id").is_in(list(exact)), pl.col("match_probability") >= STORE_FROM)
        .sort("match_probability", descending=True)
        .unique("right_id", keep="first")
    )
    # Previous probabilistic links of this registry go: the new ones replace them whole.
    session.execute(
        delete(PersonLink).where(
            PersonLink.method == METHOD,
            PersonLink.external_record_id.in_(
                select(ExternalRecord.id).where(ExternalRecord.registry_kind == registry)
            ),
        )
    )
    # Nationally these are millions of rows: written with COPY, the evidence encoded by polars.
    links = best.select(
        pl.col("left_id").alias("person_id"),
        pl.col("right_id").alias("external_record_id"),
        pl.lit(registry).alias("registry_kind"),
        pl.lit(METHOD).alias("method"),
        "match_probability",
        pl.lit(datetime.now(UTC)).alias("linked_at"),
        pl.struct(pl.col(w).round(2).alias(w[2:]) for w in weights).struct.json_encode().alias("evidence"),
    )
    linked = bulk_insert(session, table_of(PersonLink), links.to_arrow())
    excluding = best.filter(pl.col("match_probability") >= EXCLUSION_MIN_PROBABILITY).height
    report = ProbabilisticLinkReport(
        registry=registry,
        records=external.height,
        exactly_linked=len(exact),
        linked=linked,
        excluding=excluding,
        seconds={step: round(s, 2) for step, s in result.seconds.items()},
    )
    audit.record(
        session,
        actor,
        "registry.link_probabilistic",
        "registry_import",
        registry,
        None,
        {"records": report.records, "linked": report.linked, "excluding": report.excluding},
    )
    return report


def unlinked_records(session: Session, registry: str) -> int:
    """Records of ``registry`` linked to nobody, exactly or probabilistically."""
    linked = exists().where(PersonLink.external_record_id == ExternalRecord.id)
    statement = (
        select(func.count()).select_from(ExternalRecord).where(ExternalRecord.registry_kind == registry, ~linked)
    )
    return int(session.scalar(statement) or 0)
