"""duplicate review queue

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 19:30:08

The register's deduplication runs (with the model each trained), the pairs they propose to
reviewers with their evidence, the reviewers' "two persons" decisions that are never proposed
again, and the evidence of probabilistic links to other registries.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person_link", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "evidence", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )
    op.create_table(
        "dedup_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_code", sa.String(length=32), nullable=True),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("pairs_proposed", sa.Integer(), nullable=False),
        sa.Column("pairs_known_different", sa.Integer(), nullable=False),
        sa.Column(
            "model", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "blocking", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dedup_run")),
    )
    op.create_table(
        "duplicate_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("person_a_id", sa.Integer(), nullable=False),
        sa.Column("person_b_id", sa.Integer(), nullable=False),
        sa.Column("annex_a", sa.String(length=32), nullable=False),
        sa.Column("annex_b", sa.String(length=32), nullable=False),
        sa.Column("cluster", sa.String(length=64), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column(
            "evidence", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("merge_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merge_id"], ["person_merge.id"], name=op.f("fk_duplicate_pair_merge_id_person_merge")
        ),
        sa.ForeignKeyConstraint(["person_a_id"], ["person.id"], name=op.f("fk_duplicate_pair_person_a_id_person")),
        sa.ForeignKeyConstraint(["person_b_id"], ["person.id"], name=op.f("fk_duplicate_pair_person_b_id_person")),
        sa.ForeignKeyConstraint(["run_id"], ["dedup_run.id"], name=op.f("fk_duplicate_pair_run_id_dedup_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_pair")),
        sa.UniqueConstraint("run_id", "person_a_id", "person_b_id", name=op.f("uq_duplicate_pair_run_id")),
    )
    with op.batch_alter_table("duplicate_pair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_pair_person_a_id"), ["person_a_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pair_person_b_id"), ["person_b_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pair_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_pair_status"), ["status"], unique=False)

    op.create_table(
        "different_persons",
        sa.Column("person_a_id", sa.Integer(), nullable=False),
        sa.Column("person_b_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["duplicate_pair.id"], name=op.f("fk_different_persons_pair_id_duplicate_pair")
        ),
        sa.ForeignKeyConstraint(["person_a_id"], ["person.id"], name=op.f("fk_different_persons_person_a_id_person")),
        sa.ForeignKeyConstraint(["person_b_id"], ["person.id"], name=op.f("fk_different_persons_person_b_id_person")),
        sa.PrimaryKeyConstraint("person_a_id", "person_b_id", name=op.f("pk_different_persons")),
    )


def downgrade() -> None:
    with op.batch_alter_table("person_link", schema=None) as batch_op:
        batch_op.drop_column("evidence")
    op.drop_table("different_persons")
    with op.batch_alter_table("duplicate_pair", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_pair_status"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pair_run_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pair_person_b_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pair_person_a_id"))

    op.drop_table("duplicate_pair")
    op.drop_table("dedup_run")
