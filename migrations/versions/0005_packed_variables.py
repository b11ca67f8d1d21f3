"""declaration_form: the model variables also as one packed binary vector

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:10:00

National scoring reads the variables from this vector instead of the JSON document (see
`sijill.scoring.packed`). Forms written before this revision keep no vector (the form row is
immutable) and are read from their JSON document, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("declaration_form", sa.Column("packed_variables", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # Not a batch (table copy) on SQLite: that would drop the form's immutability triggers.
    op.execute("ALTER TABLE declaration_form DROP COLUMN packed_variables")
