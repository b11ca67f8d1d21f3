"""applications

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:09:33

Enrollment files: a receipt before any check, every submitted version as sent, each change of
state with who and why.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=20), nullable=False),
        sa.Column("workflow", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("annex_code", sa.String(length=32), nullable=True),
        sa.Column("applicant_idcs", sa.String(length=40), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_version", sa.SmallInteger(), nullable=False),
        sa.Column("reasons", sa.String(length=400), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("open_content_hash", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("validated_by", sa.String(length=64), nullable=True),
        sa.Column("transmitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("operator_reference", sa.String(length=40), nullable=True),
        sa.Column("operator_reason", sa.String(length=60), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("channel IN ('annex', 'online')", name=op.f("ck_application_channel_known")),
        sa.CheckConstraint(
            "status IN ('received', 'to_correct', 'awaiting_validation', 'validated', 'transmitted', 'accepted', 'refused', 'withdrawn')",
            name=op.f("ck_application_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["annex_code"], ["territory_unit.code"], name=op.f("fk_application_annex_code_territory_unit")
        ),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], name=op.f("fk_application_household_id_household")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_application_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
        sa.UniqueConstraint("open_content_hash", name=op.f("uq_application_open_content_hash")),
        sa.UniqueConstraint("receipt", name=op.f("uq_application_receipt")),
        sa.UniqueConstraint("submitted_by", "idempotency_key", name="uq_application_idempotency"),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_application_queue", ["annex_code", "status", "received_at"], unique=False)

    op.create_table(
        "application_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_application_event_application_id_application")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_event")),
    )
    with op.batch_alter_table("application_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_event_application_id"), ["application_id"], unique=False)

    op.create_table(
        "application_version",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column(
            "form", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "findings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_application_version_application_id_application")
        ),
        sa.PrimaryKeyConstraint("application_id", "number", name=op.f("pk_application_version")),
    )


def downgrade() -> None:
    op.drop_table("application_version")
    with op.batch_alter_table("application_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_event_application_id"))

    op.drop_table("application_event")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index("ix_application_queue")
        batch_op.drop_index(batch_op.f("ix_application_person_id"))
        batch_op.drop_index(batch_op.f("ix_application_household_id"))

    op.drop_table("application")
