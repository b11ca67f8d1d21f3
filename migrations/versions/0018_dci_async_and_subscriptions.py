"""dci async callbacks, subscriptions, partner keys

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 21:37:59

The DCI interface's async side: the callbacks owed to partners (an outbox with retries), the
partners' subscriptions to registry events, where each partner may receive callbacks, and its
public signing keys; each async request waits on its exchange row until it is run.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The notification sweep's time windows (dci/notify.py), PostgreSQL only: BRIN, because these
# rows are written in time order and the sweep reads only the newest pages, while a B-tree would
# slow the national loads and rescorings that write them.
SWEPT_TIMES = (
    ("household", "created_at"),
    ("household", "updated_at"),
    ("person", "updated_at"),
    ("declaration", "recorded_at"),
    ("index_score", "calculated_at"),
    ("score_correction", "corrected_at"),
)


def upgrade() -> None:
    op.create_table(
        "dci_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=99), nullable=False),
        sa.Column("body", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["dci_exchange.id"], name=op.f("fk_dci_delivery_exchange_id_dci_exchange")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["dci_partner.id"], name=op.f("fk_dci_delivery_partner_id_dci_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_delivery")),
        sa.UniqueConstraint("message_id", name=op.f("uq_dci_delivery_message_id")),
    )
    with op.batch_alter_table("dci_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_dci_delivery_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dci_delivery_exchange_id"), ["exchange_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dci_delivery_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "dci_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=99), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.String(length=99), nullable=False),
        sa.Column("reg_event_type", sa.String(length=99), nullable=False),
        sa.Column("filter_type", sa.String(length=20), nullable=False),
        sa.Column(
            "filter", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("notify_record_type", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=3), nullable=False),
        sa.Column("notify_uri", sa.String(length=500), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("seen_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["dci_exchange.id"], name=op.f("fk_dci_subscription_exchange_id_dci_exchange")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["dci_partner.id"], name=op.f("fk_dci_subscription_partner_id_dci_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_subscription")),
        sa.UniqueConstraint("code", name=op.f("uq_dci_subscription_code")),
    )
    with op.batch_alter_table("dci_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dci_subscription_partner_id"), ["partner_id"], unique=False)

    with op.batch_alter_table("dci_exchange", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_uri", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column(
                "request", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )

    with op.batch_alter_table("dci_partner", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "callback_prefixes",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "public_keys",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("signature_mode", sa.String(length=10), server_default="off", nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        for table, column in SWEPT_TIMES:
            op.execute(f"CREATE INDEX ix_{table}_{column}_brin ON {table} USING brin ({column})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in SWEPT_TIMES:
            op.execute(f"DROP INDEX ix_{table}_{column}_brin")
    with op.batch_alter_table("dci_partner", schema=None) as batch_op:
        batch_op.drop_column("signature_mode")
        batch_op.drop_column("public_keys")
        batch_op.drop_column("callback_prefixes")

    with op.batch_alter_table("dci_exchange", schema=None) as batch_op:
        batch_op.drop_column("request")
        batch_op.drop_column("sender_uri")

    with op.batch_alter_table("dci_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dci_subscription_partner_id"))

    op.drop_table("dci_subscription")
    with op.batch_alter_table("dci_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dci_delivery_partner_id"))
        batch_op.drop_index(batch_op.f("ix_dci_delivery_exchange_id"))
        batch_op.drop_index("ix_dci_delivery_due")

    op.drop_table("dci_delivery")
