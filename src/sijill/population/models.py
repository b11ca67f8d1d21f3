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
    ForeignKey,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

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
    idcs: Mapped[str] = mapped_column(String(10), unique=True)
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
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
