"""The unified social registry (RSU): households, their members, declarations and index scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base, Document


class Household(Base):
    __tablename__ = "household"
    __table_args__ = (
        CheckConstraint("milieu IN ('urban', 'rural')", name="milieu_known"),
        CheckConstraint("status IN ('active', 'dissolved')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annex_code: Mapped[str] = mapped_column(String(32), ForeignKey("territory_unit.code"), index=True)
    milieu: Mapped[str] = mapped_column(String(5))
    address: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def number(self) -> str:
        return household_number(self.id)


NUMBER_PREFIX = "HH"


def household_number(household_id: int) -> str:
    """The number people see (notifications, the API): derived from the id, never stored twice."""
    return f"{NUMBER_PREFIX}{household_id:09d}"


def household_id_of(number: str) -> int | None:
    digits = number[len(NUMBER_PREFIX) :]
    if not number.startswith(NUMBER_PREFIX) or len(digits) != 9 or not digits.isdigit():
        return None
    return int(digits)


class HouseholdMember(Base):
    """A person's membership of a household, from one date to another (open while current)."""

    __tablename__ = "household_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, ForeignKey("household.id"), index=True)
    person_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"))
    relationship: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


# A person is in at most one active household: enforced by the database, not only the service.
Index(
    "uq_household_member_active_person",
    HouseholdMember.person_id,
    unique=True,
    sqlite_where=text("valid_to IS NULL"),
    postgresql_where=text("valid_to IS NULL"),
)


class Declaration(Base):
    """One immutable, dated version of a household's declaration: who declared, how, and the answers."""

    __tablename__ = "declaration"
    __table_args__ = (
        UniqueConstraint("household_id", "number", name="uq_declaration_household_number"),
        CheckConstraint("channel IN ('annex', 'online', 'mobile', 'bulk')", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, ForeignKey("household.id"))
    # 1 for the registration, then 2, 3 ... for each update.
    number: Mapped[int] = mapped_column(SmallInteger)
    declared_on: Mapped[date] = mapped_column(Date)
    declarant_person_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"))
    channel: Mapped[str] = mapped_column(String(8))
    questionnaire: Mapped[str] = mapped_column(String(60))
    declared_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeclarationForm(Base):
    """The answers of one declaration, apart from it: every score row's foreign key locks its
    declaration row, and a narrow row keeps a national batch from rewriting a page per household
    (measured: 1.3 s per 100,000 scores against 0.6 s)."""

    __tablename__ = "declaration_form"

    declaration_id: Mapped[int] = mapped_column(Integer, ForeignKey("declaration.id"), primary_key=True)
    # The answers as given, and with the variables computed from the members (what models read).
    answers: Mapped[dict[str, Any]] = mapped_column(Document)
    variables: Mapped[dict[str, Any]] = mapped_column(Document)
    # The same variables as one vector in the questionnaire's layout, for national batches
    # (sijill.scoring.packed); empty on forms written before it existed.
    packed_variables: Mapped[bytes | None] = mapped_column(LargeBinary)


class DeclarationMember(Base):
    """A member as declared in one version: what the form said of them that day."""

    __tablename__ = "declaration_member"

    declaration_id: Mapped[int] = mapped_column(Integer, ForeignKey("declaration.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, ForeignKey("person.id"), primary_key=True)
    relationship: Mapped[str] = mapped_column(String(16))
    age: Mapped[int] = mapped_column(SmallInteger)
    education: Mapped[str] = mapped_column(String(16))
    in_school: Mapped[bool] = mapped_column(Boolean)
    occupation: Mapped[str | None] = mapped_column(String(20))
    disability: Mapped[bool] = mapped_column(Boolean)
    marital_status: Mapped[str | None] = mapped_column(String(10))


class IndexScore(Base):
    """The index calculated for one declaration version by one model version.

    The household is the declaration's: not repeated here, since every national batch writes a
    million of these rows and each extra key is one more index and check per row.

    `declaration_id` must name a declaration. A foreign key would check and lock the declaration
    row by row (5 µs a row, three quarters of a national batch's writing); a trigger checks each
    insert statement's rows at once instead (migration 0004), which is as strict because a
    declaration can never be changed or deleted."""

    __tablename__ = "index_score"
    __table_args__ = (UniqueConstraint("declaration_id", "model", name="uq_index_score_declaration_model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(60))
    score: Mapped[float] = mapped_column(Float)
    calculated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    calculated_by: Mapped[str] = mapped_column(String(64))


class ScoreCorrection(Base):
    """A corrected index set by an authorised role, with its reason; the latest one applies."""

    __tablename__ = "score_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index_score_id: Mapped[int] = mapped_column(Integer, ForeignKey("index_score.id"), index=True)
    corrected_score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by: Mapped[str] = mapped_column(String(64))
    corrected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScoreEvent(Base):
    """A household's index crossed a programme threshold: waiting to be notified (an outbox)."""

    __tablename__ = "score_event"
    __table_args__ = (
        CheckConstraint("direction IN ('entered', 'left')", name="direction_known"),
        CheckConstraint("cause IN ('declaration', 'model', 'correction')", name="cause_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, ForeignKey("household.id"), index=True)
    programme: Mapped[str] = mapped_column(String(40))
    threshold: Mapped[float] = mapped_column(Float)
    previous_score: Mapped[float | None] = mapped_column(Float)
    new_score: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(8))
    cause: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SyntheticTruth(Base):
    """What a proxy-means test cannot see: a synthetic household's true consumption, written only
    when generated data is loaded (demo, tests, benchmarks), so that targeting can be measured
    against it. A registry of real households leaves this table empty."""

    __tablename__ = "synthetic_truth"

    household_id: Mapped[int] = mapped_column(Integer, ForeignKey("household.id"), primary_key=True)
    consumption_per_capita_dh: Mapped[float] = mapped_column(Float)
    # On the index's scale (the log of yearly consumption per person).
    log_consumption: Mapped[float] = mapped_column(Float)
