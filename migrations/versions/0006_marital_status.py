"""declaration_member: marital status (asked from age 15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00

Programmes read it (DAAM is for widows); the index does not. Members declared before this
revision have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("declaration_member", sa.Column("marital_status", sa.String(length=10), nullable=True))


def downgrade() -> None:
    # Not a batch (table copy) on SQLite: that would drop the table's immutability triggers.
    op.execute("ALTER TABLE declaration_member DROP COLUMN marital_status")
