"""Add users.bio, with a downgrade that does nothing.

Revision ID: dddd00000001
Revises: 0002b8c4d2e9

The project's test of downgrades must fail: a downgrade undoes something or raises
NotImplementedError saying why it cannot.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "dddd00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("bio", sa.Text))


def downgrade() -> None:
    pass
