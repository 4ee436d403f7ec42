"""Create alerts: a sound revision after two broken downgrades.

Revision ID: beef00000003
Revises: beef00000002

Its stairway and no-trace tests must pass: the walk gets past the broken revisions.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "beef00000003"
down_revision: str | tuple[str, ...] | None = "beef00000002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table("alerts", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("alerts")
