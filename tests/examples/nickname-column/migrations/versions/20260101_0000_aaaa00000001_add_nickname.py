"""Add users.nickname: an ALTER TABLE that must wait for every lock on users.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

Behind a long transaction it waits out the lock timeout, then gives up or retries.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("nickname", sa.String(20)))


def downgrade() -> None:
    op.drop_column("users", "nickname")
