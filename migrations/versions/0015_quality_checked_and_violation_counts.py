"""quality checked and violation counts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 01:46:18

What each data-quality run checked (records per entity, annex and agent) and found (violations
per rule, annex and agent): the denominators and points of the violations' trend.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_checked",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("annex_code", sa.String(length=32), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["quality_run.id"], name=op.f("fk_quality_checked_run_id_quality_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_checked")),
    )
    with op.batch_alter_table("quality_checked", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_checked_run_id"), ["run_id"], unique=False)

    op.create_table(
        "quality_violation_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("annex_code", sa.String(length=32), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["quality_run.id"], name=op.f("fk_quality_violation_count_run_id_quality_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_violation_count")),
    )
    with op.batch_alter_table("quality_violation_count", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_violation_count_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quality_violation_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_violation_count_run_id"))

    op.drop_table("quality_violation_count")
    with op.batch_alter_table("quality_checked", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_checked_run_id"))

    op.drop_table("quality_checked")
