"""Add users.nickname, after the index.

Revision ID: aaaa00000002
Revises: aaaa00000001

The second of two revisions that eight migrators race to apply, each exactly once.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "aaaa00000002"
down_revision: str | tuple[str, ...] | None = "aaaa00000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("nickname", sa.String(20)))


def downgrade() -> None:
    op.drop_column("users", "nickname")
