"""Other administrative registries' records, and their links to register persons."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base, Document


class RegistryImport(Base):
    """One extract of another registry, as received: it replaces that registry's previous one."""

    __tablename__ = "registry_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_kind: Mapped[str] = mapped_column(String(32), index=True)
    source_name: Mapped[str] = mapped_column(String(200))
    # The day the other registry extracted its records: what "active" is measured against.
    extracted_on: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(Integer)
    linked: Mapped[int] = mapped_column(Integer)


class ExternalRecord(Base):
    """A record of another registry (CNSS, pensions ...), with the dates it is in force."""

    __tablename__ = "external_record"
    __table_args__ = (UniqueConstraint("registry_kind", "registry_record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_kind: Mapped[str] = mapped_column(String(32))
    import_id: Mapped[int] = mapped_column(Integer, ForeignKey("registry_import.id"), index=True)
    # The other registry's own identifier for the record.
    registry_record_id: Mapped[str] = mapped_column(String(64))
    idcs: Mapped[str | None] = mapped_column(String(10), index=True)
    cin: Mapped[str | None] = mapped_column(String(10), index=True)
    given_name_lat: Mapped[str | None] = mapped_column(String(100))
    family_name_lat: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    # In force from .. to (inclusive); no end: still in force.
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # The registry's other columns as received (employer, scheme, amount ...).
    attributes: Mapped[dict[str, Any]] = mapped_column(Document)


class PersonLink(Base):
    """ "This record of another registry is this person", with how it was established.

    Exact links (same IDCS, same CIN) have probability 1; the probabilistic linkage adds links with
    the probability it computed. Programmes read links through `sijill.linkage.links` only.
    """

    __tablename__ = "person_link"
    __table_args__ = (UniqueConstraint("external_record_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), index=True)
    external_record_id: Mapped[int] = mapped_column(Integer, ForeignKey("external_record.id"))
    registry_kind: Mapped[str] = mapped_column(String(32))
    # idcs | cin (exact), or probabilistic (the linkage model, `registry_linkage`).
    method: Mapped[str] = mapped_column(String(16))
    match_probability: Mapped[float] = mapped_column(Float)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # For a probabilistic link: each comparison's weight in bits, the reasons for the link.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(Document, nullable=True)


class DedupRun(Base):
    """One deduplication of the register (or of a territory of it), with the model it trained."""

    __tablename__ = "dedup_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The territory the run covered (None: the whole register).
    scope_code: Mapped[str | None] = mapped_column(String(32))
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    records: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float] = mapped_column(Float)
    pairs_proposed: Mapped[int] = mapped_column(Integer)
    # Pairs above the threshold that a reviewer had already said were two persons.
    pairs_known_different: Mapped[int] = mapped_column(Integer)
    # The trained Splink model (comparisons, levels, m and u): what every weight of the run means.
    model: Mapped[dict[str, Any]] = mapped_column(Document)
    # Pairs each blocking rule generated, and the seconds of each step.
    blocking: Mapped[dict[str, Any]] = mapped_column(Document)


class DuplicatePair(Base):
    """Two register records a run found likely to be one person, waiting for a reviewer."""

    __tablename__ = "duplicate_pair"
    __table_args__ = (UniqueConstraint("run_id", "person_a_id", "person_b_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("dedup_run.id"), index=True)
    # The lower person id first, so a pair has one spelling.
    person_a_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), index=True)
    person_b_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), index=True)
    # Both records' annexes: the pair is in a reviewer's scope when both are.
    annex_a: Mapped[str] = mapped_column(String(32))
    annex_b: Mapped[str] = mapped_column(String(32))
    cluster: Mapped[str] = mapped_column(String(64))
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    # Each comparison's weight in bits: the reasons the pair was proposed.
    evidence: Mapped[dict[str, Any]] = mapped_column(Document)
    # open → same (merged) | different | superseded (a later run, or a merge, replaced it)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(500))
    merge_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("person_merge.id"))


class DifferentPersons(Base):
    """A reviewer's word that two records are two persons: never proposed again."""

    __tablename__ = "different_persons"

    person_a_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), primary_key=True)
    person_b_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), primary_key=True)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(500))
    pair_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("duplicate_pair.id"))
