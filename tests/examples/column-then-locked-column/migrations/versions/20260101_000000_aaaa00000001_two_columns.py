"""Add targets.note, then users.nickname, which a long transaction keeps locked.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

On MySQL the first ALTER commits at once; the second gives up on its lock. The revision
is half-applied: env.py must not retry it, and the message must say so, name the
statement that ran, how to see them all, the table and the open transactions.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("note", sa.String(20)))
    op.add_column("users", sa.Column("nickname", sa.String(20)))


def downgrade() -> None:
    op.drop_column("users", "nickname")
    op.drop_column("targets", "note")
