"""eligibility decisions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:31:23

A national run reads one snapshot of the inputs, then decides each programme on it: one run per
programme, one decision per household and run with its reasons and amount lines.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eligibility_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=82), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_snapshot")),
    )
    op.create_table(
        "eligibility_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=82), nullable=False),
        sa.Column("model", sa.String(length=82), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_by", sa.String(length=64), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("not_eligible", sa.Integer(), nullable=False),
        sa.Column("not_decidable", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("amount_once", sa.Float(), nullable=False),
        sa.Column(
            "summary", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["eligibility_snapshot.id"],
            name=op.f("fk_eligibility_run_snapshot_id_eligibility_snapshot"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_run")),
    )
    with op.batch_alter_table("eligibility_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eligibility_run_programme"), ["programme"], unique=False)
        batch_op.create_index(batch_op.f("ix_eligibility_run_snapshot_id"), ["snapshot_id"], unique=False)

    op.create_table(
        "eligibility_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("reasons", sa.String(length=400), nullable=False),
        sa.Column("index", sa.Float(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("amount_once", sa.Float(), nullable=True),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_eligibility_decision_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["eligibility_run.id"], name=op.f("fk_eligibility_decision_run_id_eligibility_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_decision")),
        sa.UniqueConstraint("run_id", "household_id", name=op.f("uq_eligibility_decision_run_id")),
    )
    with op.batch_alter_table("eligibility_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eligibility_decision_household_id"), ["household_id"], unique=False)

    op.create_table(
        "eligibility_snapshot_household",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_eligibility_snapshot_household_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["eligibility_snapshot.id"],
            name=op.f("fk_eligibility_snapshot_household_snapshot_id_eligibility_snapshot"),
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "household_id", name=op.f("pk_eligibility_snapshot_household")),
    )


def downgrade() -> None:
    op.drop_table("eligibility_snapshot_household")
    with op.batch_alter_table("eligibility_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eligibility_decision_household_id"))

    op.drop_table("eligibility_decision")
    with op.batch_alter_table("eligibility_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eligibility_run_snapshot_id"))
        batch_op.drop_index(batch_op.f("ix_eligibility_run_programme"))

    op.drop_table("eligibility_run")
    op.drop_table("eligibility_snapshot")
