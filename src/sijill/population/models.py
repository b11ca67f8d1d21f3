"""The person record of the national population register (RNP).

The foundation creates the table so that the demo population can be loaded and every scope and
audit rule is exercised on real personal data; registration, duplicate checks and life events
build on it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sijill.db import Base


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("sex IN ('M', 'F')", name="sex_known"),
        CheckConstraint("status IN ('active', 'deceased', 'merged')", name="status_known"),
        CheckConstraint("birth_date_precision IN ('day', 'year', 'presumed')", name="birth_precision_known"),
        CheckConstraint("given_name_ar IS NOT NULL OR given_name_lat IS NOT NULL", name="given_name_present"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idcs: Mapped[str] = mapped_column(String(10), ForeignKey("issued_idcs.number"), unique=True)
    given_name_ar: Mapped[str | None] = mapped_column(String(100))
    family_name_ar: Mapped[str | None] = mapped_column(String(100))
    given_name_lat: Mapped[str | None] = mapped_column(String(100))
    family_name_lat: Mapped[str | None] = mapped_column(String(100))
    father_given_name_ar: Mapped[str | None] = mapped_column(String(100))
    father_given_name_lat: Mapped[str | None] = mapped_column(String(100))
    mother_given_name_ar: Mapped[str | None] = mapped_column(String(100))
    mother_given_name_lat: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_date_precision: Mapped[str] = mapped_column(String(8))
    birth_place_code: Mapped[str | None] = mapped_column(String(32))
    nationality: Mapped[str] = mapped_column(String(3))
    cin: Mapped[str | None] = mapped_column(String(10), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16))
    annex_code: Mapped[str] = mapped_column(String(32), ForeignKey("territory_unit.code"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    death_date: Mapped[date | None] = mapped_column(Date)
    # Set when this record was merged into another one (status 'merged'); it then points there.
    merged_into_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("person.id"), index=True)
    # Script-neutral name keys (sijill.linkage.names), kept for the duplicate check at registration.
    given_key: Mapped[str | None] = mapped_column(String(60))
    family_key: Mapped[str | None] = mapped_column(String(60))
    father_key: Mapped[str | None] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    merged_into: Mapped[Person | None] = relationship(remote_side="Person.id", lazy="select")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def merged_into_idcs(self) -> str | None:
        return self.merged_into.idcs if self.merged_into is not None else None


# One index per shape of duplicate-check block (population.blocks); the two led by a single key
# also serve the search by one name.
Index("ix_person_family_given_year", Person.family_key, Person.given_key, Person.birth_year)
Index("ix_person_family_key_birth_date", Person.family_key, Person.birth_date)
Index("ix_person_given_key_birth_date", Person.given_key, Person.birth_date)
Index("ix_person_phone", Person.phone)


class IssuedIdcs(Base):
    """Every IDCS ever handed out, so a number is never issued twice, even after a merge or death."""

    __tablename__ = "issued_idcs"

    number: Mapped[str] = mapped_column(String(10), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str] = mapped_column(String(64))


class PersonCorrection(Base):
    """One corrected field of an identity: the full history of who changed what, when and why."""

    __tablename__ = "person_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by: Mapped[str] = mapped_column(String(64))
    corrected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version_after: Mapped[int] = mapped_column(Integer)


class Registration(Base):
    """A registration request: issued at once, or held for a reviewer when likely duplicates exist."""

    __tablename__ = "registration"
    __table_args__ = (
        CheckConstraint("status IN ('issued', 'pending_review', 'same_person', 'different')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    annex_code: Mapped[str] = mapped_column(String(32), ForeignKey("territory_unit.code"), index=True)
    # The normalised record as submitted (JSON), so the reviewer sees exactly what was typed.
    submitted: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(500))
    person_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("person.id"))


class RegistrationCandidate(Base):
    __tablename__ = "registration_candidate"

    registration_id: Mapped[int] = mapped_column(Integer, ForeignKey("registration.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    # Why it is a candidate: the evidence (same CIN, same birth date, name similarity ...), as JSON.
    reasons: Mapped[str] = mapped_column(Text)


class PersonMerge(Base):
    """Two records found to be one person: the merged one points to the survivor; reversible."""

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), index=True)
    merged_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    merged_by: Mapped[str] = mapped_column(String(64))
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The merged record's status before the merge, restored if an admin reverts it.
    previous_status: Mapped[str] = mapped_column(String(10))
    # Registrations that pointed at the merged record and were moved to the survivor (JSON list of
    # ids), so a revert puts exactly those back.
    moved_registrations: Mapped[str] = mapped_column(Text, default="[]")
    reverted_by: Mapped[str | None] = mapped_column(String(64))
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    survivor: Mapped[Person] = relationship(foreign_keys=[survivor_id])
    merged: Mapped[Person] = relationship(foreign_keys=[merged_id])

    @property
    def survivor_idcs(self) -> str:
        return self.survivor.idcs

    @property
    def merged_idcs(self) -> str:
        return self.merged.idcs


class PersonSource(Base):
    """Which source row became which register record: re-importing a file creates nothing new."""

    __tablename__ = "person_source"

    source: Mapped[str] = mapped_column(String(120), primary_key=True)
    source_record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The record created from this row, or the registration held for review instead.
    person_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("person.id"))
    registration_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("registration.id"))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
