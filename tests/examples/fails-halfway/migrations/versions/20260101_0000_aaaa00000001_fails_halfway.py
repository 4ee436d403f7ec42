"""Add users.nickname, then fail on a table that does not exist.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

PostgreSQL rolls the whole revision back; MySQL keeps the first statement, and the
error says how to recover.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("nickname", sa.String(20)))
    op.execute("ALTER TABLE no_such_table ADD COLUMN b INTEGER")


def downgrade() -> None:
    op.drop_column("users", "nickname")
