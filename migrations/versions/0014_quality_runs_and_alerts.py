"""quality runs and alerts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 20:13:58

The daily data-quality runs and the alerts they raise (detector, annex, score, explanation in
Arabic, French and English, and the evidence with a link to its report).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_code", sa.String(length=32), nullable=True),
        sa.Column("run_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column(
            "seconds", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_run")),
    )
    op.create_table(
        "quality_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("detector", sa.String(length=40), nullable=False),
        sa.Column("territory_code", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "explanation", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "evidence", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["quality_run.id"], name=op.f("fk_quality_alert_run_id_quality_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_alert")),
    )
    with op.batch_alter_table("quality_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_alert_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_alert_territory_code"), ["territory_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quality_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_alert_territory_code"))
        batch_op.drop_index(batch_op.f("ix_quality_alert_run_id"))

    op.drop_table("quality_alert")
    op.drop_table("quality_run")
