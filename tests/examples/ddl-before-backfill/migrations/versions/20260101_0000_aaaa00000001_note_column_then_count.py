"""Add items.note, then backfill items: schema change and committing batches in one step.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

The batches commit on PostgreSQL and MySQL, so a kill midway would leave the column
added and the revision unrecorded, and the rerun would fail on it. env.py refuses the
revision in one line naming the stairway, before anything runs: test_exactly_once finds
the schema, the rows and the version table as they were.
"""

import sqlalchemy as sa
from alembic import op
from alembic_env_backfill import backfill

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
    """A column, then counter + 1 on every item: the shape that is refused."""
    op.add_column("items", sa.Column("note", sa.String(20)))
    backfill(
        items,
        values={"counter": items.c.counter + 1, "version": items.c.version + 1},
        batch_size=500,
    )


def downgrade() -> None:
    """Take the count back, then drop the column."""
    backfill(
        items,
        values={"counter": items.c.counter - 1, "version": items.c.version + 1},
        batch_size=500,
    )
    op.drop_column("items", "note")
