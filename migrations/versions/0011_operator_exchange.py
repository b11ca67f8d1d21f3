"""operator exchange

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:22:34

The exchange with operators: batches written before they are sent, the files in each under the
id the operator knows them by, every callback received, and the messages sent to applicants.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operator_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=40), nullable=False),
        sa.Column("batch_key", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'acknowledged')", name=op.f("ck_operator_batch_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_batch")),
        sa.UniqueConstraint("batch_key", name=op.f("uq_operator_batch_batch_key")),
    )
    with op.batch_alter_table("operator_batch", schema=None) as batch_op:
        batch_op.create_index("ix_operator_batch_pending", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "operator_callback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_callback")),
        sa.UniqueConstraint("operator", "message_id", name="uq_operator_callback_message"),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=True),
        sa.Column("text_ar", sa.String(length=600), nullable=False),
        sa.Column("text_fr", sa.String(length=600), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_notification_application_id_application")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_application_id"), ["application_id"], unique=False)

    op.create_table(
        "operator_batch_file",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_operator_batch_file_application_id_application")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["operator_batch.id"], name=op.f("fk_operator_batch_file_batch_id_operator_batch")
        ),
        sa.PrimaryKeyConstraint("batch_id", "application_id", name=op.f("pk_operator_batch_file")),
        sa.UniqueConstraint("file_id", name=op.f("uq_operator_batch_file_file_id")),
    )


def downgrade() -> None:
    op.drop_table("operator_batch_file")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_application_id"))

    op.drop_table("notification")
    op.drop_table("operator_callback")
    with op.batch_alter_table("operator_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_operator_batch_pending")

    op.drop_table("operator_batch")
