"""Create watchlists and an index on targets; the downgrade forgets the index.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

On PostgreSQL it forgets the watch_kind enum type too: the project's stairway and
no-trace tests must fail on this revision, naming what was left behind.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "watchlists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Enum("price", "stock", name="watch_kind")),
    )
    op.create_index("ix_targets_title", "targets", ["title"])


def downgrade() -> None:
    op.drop_table("watchlists")
