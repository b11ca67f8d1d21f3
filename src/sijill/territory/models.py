"""Tables owned by the territory context.

A unit's code and place in the hierarchy never change; its names and kind may, by decree, so
they live in dated versions. Codes are hierarchical (see ``sijill.access.scope``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db import Base

LEVELS = ("region", "province", "commune", "annex")
PARENT_LEVEL = {"region": None, "province": "region", "commune": "province", "annex": "commune"}
KINDS = {
    "region": ("region",),
    "province": ("prefecture", "province"),
    "commune": ("urban_commune", "rural_commune"),
    "annex": ("annex", "caidat"),
}
MILIEUX = ("urban", "rural")


class TerritoryUnit(Base):
    __tablename__ = "territory_unit"
    __table_args__ = (
        CheckConstraint("level IN ('region', 'province', 'commune', 'annex')", name="level_known"),
        CheckConstraint("milieu IS NULL OR milieu IN ('urban', 'rural')", name="milieu_known"),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("territory_unit.code"), index=True)
    milieu: Mapped[str | None] = mapped_column(String(8))
    # The official statistical code when a deployment supplies one; ours stays the key.
    official_code: Mapped[str | None] = mapped_column(String(32))


class TerritoryUnitVersion(Base):
    __tablename__ = "territory_unit_version"
    __table_args__ = (
        UniqueConstraint("code", "valid_from", name="uq_territory_unit_version_code_from"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), ForeignKey("territory_unit.code"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    # Exclusive end; NULL while the unit is in force.
    valid_to: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    name_fr: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str] = mapped_column(String(200))
