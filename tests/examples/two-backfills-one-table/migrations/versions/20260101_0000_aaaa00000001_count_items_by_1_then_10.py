"""Two backfills of one table in one upgrade(): counter + 1, then counter + 10.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

test_exactly_once creates items (id, counter, version), all 0, lays pause-points/ over
the project too, and kills the process during the second backfill. Each call has a
resume point of its own, so the rerun skips the first and finishes the second: every
row ends at counter 11, version 2.
"""

import sqlalchemy as sa
from alembic_env_backfill import backfill
from pause_points import BATCH_PAUSE, reached

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# version counts the changes of each row: the proof that none changed twice.
items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("counter", sa.Integer),
    sa.column("version", sa.Integer),
)


def upgrade() -> None:
    """counter + 1 on every item, then + 10 on the same rows, in batches of 50."""
    backfill(
        items,
        values={"counter": items.c.counter + 1, "version": items.c.version + 1},
        batch_size=50,
    )
    reached("during")
    backfill(
        items,
        values={"counter": items.c.counter + 10, "version": items.c.version + 1},
        batch_size=50,
        pause=BATCH_PAUSE,
    )


def downgrade() -> None:
    """Take the 11 back in one backfill (a change of its own: version + 1)."""
    backfill(
        items,
        values={"counter": items.c.counter - 11, "version": items.c.version + 1},
        batch_size=50,
    )
