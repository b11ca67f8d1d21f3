"""complaints and staff messages

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:30:50

Complaints about files and households with their deadline and outcome, and the reports sent to
staff (the supervisors' daily report).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("body_ar", sa.String(length=4000), nullable=False),
        sa.Column("body_fr", sa.String(length=4000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["app_user.username"], name=op.f("fk_staff_message_username_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_message")),
        sa.UniqueConstraint("username", "subject", name="uq_staff_message_subject"),
    )
    with op.batch_alter_table("staff_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_message_username"), ["username"], unique=False)

    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("annex_code", sa.String(length=32), nullable=True),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=1000), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('exclusion', 'inclusion', 'data_error')", name=op.f("ck_complaint_kind_known")),
        sa.CheckConstraint("status IN ('open', 'upheld', 'rejected')", name=op.f("ck_complaint_status_known")),
        sa.CheckConstraint(
            "application_id IS NOT NULL OR household_id IS NOT NULL", name=op.f("ck_complaint_about_something")
        ),
        sa.ForeignKeyConstraint(
            ["annex_code"], ["territory_unit.code"], name=op.f("fk_complaint_annex_code_territory_unit")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_complaint_application_id_application")
        ),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], name=op.f("fk_complaint_household_id_household")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint("number", name=op.f("uq_complaint_number")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_household_id"), ["household_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_household_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_application_id"))

    op.drop_table("complaint")
    with op.batch_alter_table("staff_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_message_username"))

    op.drop_table("staff_message")
