"""register keys compared as bytes on PostgreSQL

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:40:00

The register's key columns (IDCS, CIN, phone, the name keys, annex and source codes) hold ASCII
by construction, yet were compared with the database's linguistic collation: every index on them
sorted through the C library's strcoll, and without abbreviated keys. In byte order ("C") the
same indexes build faster (the first national load rebuilds them all) and a plain B-tree on the
annex code also serves the prefix searches of territorial scope, so the second, varchar_pattern_ops
index on it goes. Equality is unchanged: these collations are deterministic. PostgreSQL only:
SQLite compares text as bytes already. On a loaded register this rebuilds the indexes on these
columns (no table rewrite).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_COLUMNS = (
    ("issued_idcs", "number", 10),
    ("person", "idcs", 10),
    ("person", "cin", 10),
    ("person", "phone", 16),
    ("person", "given_key", 60),
    ("person", "family_key", 60),
    ("person", "father_key", 60),
    ("person", "annex_code", 32),
    ("person_source", "source", 120),
    ("person_source", "source_record_id", 64),
)


def _collate(collation: str) -> None:
    for table, column, length in KEY_COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length}) COLLATE "{collation}"')


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _collate("C")
    op.execute("DROP INDEX ix_person_annex_code_prefix")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _collate("default")
    op.execute("CREATE INDEX ix_person_annex_code_prefix ON person (annex_code varchar_pattern_ops)")
