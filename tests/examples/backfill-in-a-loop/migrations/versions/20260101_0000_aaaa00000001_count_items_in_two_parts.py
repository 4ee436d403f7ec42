"""Count every item once, in two parts from one call site: backfill() in a loop.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

test_exactly_once creates items (id, counter, version), all 0. Both parts run from the
same line, so a resume point named by the line alone makes the second part find the
first one's "finished" mark and skip: every row must end at counter 1, version 1.
"""

import sqlalchemy as sa
from alembic_env_backfill import backfill

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# version counts the changes of each row: the proof that none changed twice, or not at all.
items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("counter", sa.Integer),
    sa.column("version", sa.Integer),
)
# The two halves of the 3,000 items, one backfill each.
PARTS = (items.c.id <= 1500, items.c.id > 1500)


def upgrade() -> None:
    """counter + 1 on the first half, then on the second half."""
    for part in PARTS:
        backfill(
            items,
            values={"counter": items.c.counter + 1, "version": items.c.version + 1},
            where=part,
            batch_size=500,
        )


def downgrade() -> None:
    """Take the count back, in one backfill (a change of its own: version + 1)."""
    backfill(
        items,
        values={"counter": items.c.counter - 1, "version": items.c.version + 1},
        batch_size=500,
    )
