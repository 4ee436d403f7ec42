"""Index items.counter with alembic_env_safe_ddl, then backfill items: allowed.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

The safe steps commit on their own and a rerun finds their work done, so a backfill may
follow them in one revision: test_exactly_once finds the upgrade accepted, every item at
counter 1, version 1.
"""

import sqlalchemy as sa
from alembic import op
from alembic_env_backfill import backfill
from alembic_env_safe_ddl import create_index

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("counter", sa.Integer),
    sa.column("version", sa.Integer),
)


def upgrade() -> None:
    """An index built the safe way, then counter + 1 on every item."""
    create_index("ix_items_counter", "items", ["counter"])
    backfill(
        items,
        values={"counter": items.c.counter + 1, "version": items.c.version + 1},
        batch_size=500,
    )


def downgrade() -> None:
    """Take the count back, then drop the index."""
    backfill(
        items,
        values={"counter": items.c.counter - 1, "version": items.c.version + 1},
        batch_size=500,
    )
    op.drop_index("ix_items_counter", table_name="items")
