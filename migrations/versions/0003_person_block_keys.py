"""person: father's name key and indexes shaped like the duplicate-check blocks

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:10:00

The blocks of the duplicate check no longer rest on a name and a birth-year range (which, with a
common name, compared thousands of namesakes); they need the father's name key, which is
computed here for the records already in the register.
"""

from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa
from alembic import op

from sijill.linkage.names import name_key

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_ROWS = 50_000


def _backfill_father_key() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, coalesce(father_given_name_lat, father_given_name_ar) AS father FROM person "
            "WHERE coalesce(father_given_name_lat, father_given_name_ar) IS NOT NULL"
        )
    ).all()
    if not rows:
        return
    frame = pl.DataFrame(rows, schema={"id": pl.Int64, "father": pl.String}, orient="row")
    # One key per distinct spelling, as the batch form does.
    keys = {value: name_key(value) or None for value in frame["father"].unique().to_list()}
    update = sa.text("UPDATE person SET father_key = :key WHERE id = :id")
    for start in range(0, frame.height, BACKFILL_ROWS):
        part = frame.slice(start, BACKFILL_ROWS)
        connection.execute(update, [{"id": i, "key": keys[f]} for i, f in zip(part["id"], part["father"], strict=True)])


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("father_key", sa.String(length=60), nullable=True))
        batch_op.drop_index("ix_person_birth_year_given_key")
        batch_op.drop_index("ix_person_birth_year_family_key")
    _backfill_father_key()
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("ix_person_family_given_year", ["family_key", "given_key", "birth_year"], unique=False)
        batch_op.create_index("ix_person_family_key_birth_date", ["family_key", "birth_date"], unique=False)
        batch_op.create_index("ix_person_given_key_birth_date", ["given_key", "birth_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_given_key_birth_date")
        batch_op.drop_index("ix_person_family_key_birth_date")
        batch_op.drop_index("ix_person_family_given_year")
        batch_op.create_index("ix_person_birth_year_given_key", ["birth_year", "given_key"], unique=False)
        batch_op.create_index("ix_person_birth_year_family_key", ["birth_year", "family_key"], unique=False)
        batch_op.drop_column("father_key")
