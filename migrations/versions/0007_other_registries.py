"""records of other administrations' registries, and their links to register persons

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:16:34

CNSS salaried, auto-entrepreneurs, civil service, pensions, other health cover, family allowances:
each import replaces the registry's previous extract; programmes' exclusions read the links.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_kind", sa.String(length=32), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("extracted_on", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("linked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_import")),
    )
    with op.batch_alter_table("registry_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_import_registry_kind"), ["registry_kind"], unique=False)

    op.create_table(
        "external_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_kind", sa.String(length=32), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("registry_record_id", sa.String(length=64), nullable=False),
        sa.Column("idcs", sa.String(length=10), nullable=True),
        sa.Column("cin", sa.String(length=10), nullable=True),
        sa.Column("given_name_lat", sa.String(length=100), nullable=True),
        sa.Column("family_name_lat", sa.String(length=100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "attributes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["registry_import.id"], name=op.f("fk_external_record_import_id_registry_import")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_record")),
        sa.UniqueConstraint("registry_kind", "registry_record_id", name=op.f("uq_external_record_registry_kind")),
    )
    with op.batch_alter_table("external_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_record_cin"), ["cin"], unique=False)
        batch_op.create_index(batch_op.f("ix_external_record_idcs"), ["idcs"], unique=False)
        batch_op.create_index(batch_op.f("ix_external_record_import_id"), ["import_id"], unique=False)

    op.create_table(
        "person_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("external_record_id", sa.Integer(), nullable=False),
        sa.Column("registry_kind", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["external_record_id"],
            ["external_record.id"],
            name=op.f("fk_person_link_external_record_id_external_record"),
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_person_link_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_link")),
        sa.UniqueConstraint("external_record_id", "person_id", name=op.f("uq_person_link_external_record_id")),
    )
    with op.batch_alter_table("person_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_link_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_link_person_id"))

    op.drop_table("person_link")
    with op.batch_alter_table("external_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_record_import_id"))
        batch_op.drop_index(batch_op.f("ix_external_record_idcs"))
        batch_op.drop_index(batch_op.f("ix_external_record_cin"))

    op.drop_table("external_record")
    with op.batch_alter_table("registry_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_import_registry_kind"))

    op.drop_table("registry_import")
