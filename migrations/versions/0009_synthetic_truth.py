"""synthetic truth

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:47:29

The true consumption of generated households, loaded with them, so that a simulation can report
its inclusion and exclusion errors. Empty in a registry of real households.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "synthetic_truth",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("consumption_per_capita_dh", sa.Float(), nullable=False),
        sa.Column("log_consumption", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_synthetic_truth_household_id_household")
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_synthetic_truth")),
    )


def downgrade() -> None:
    op.drop_table("synthetic_truth")
