"""Create alerts: the other branch off the default preferences.

Revision ID: bb0000000001
Revises: 0002b8c4d2e9

Written beside ba0000000001 on another branch; bm0000000001 merges the two.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "bb0000000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table("alerts", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("alerts")
