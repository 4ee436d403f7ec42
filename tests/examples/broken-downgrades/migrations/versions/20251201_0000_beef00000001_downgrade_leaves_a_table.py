"""Create watchlists and their items; the downgrade drops only the items.

Revision ID: beef00000001
Revises: 0002b8c4d2e9

The project's stairway test must fail on this revision (the second upgrade finds
watchlists still there), and its no-trace test must name the table left behind.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "beef00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table("watchlists", sa.Column("id", sa.Integer, primary_key=True))
    op.create_table("watchlist_items", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("watchlist_items")
