"""Count every item once, then count the revision's own run in tally: a backfill to kill.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

test_exactly_once creates items (id, counter, version), all 0, and tally (one row, runs
0), lays pause-points/ over the project too, and stops upgrade() at each point
(SCENARIO_PAUSE_AT): it kills the process there, or terminates the migration's
connection, the batch connection or both while the batches run. A plain rerun must
leave every item at counter 1, version 1, and tally.runs at 1.
"""

import sqlalchemy as sa
from alembic import op
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
tally = sa.table("tally", sa.column("runs", sa.Integer))


def upgrade() -> None:
    """counter + 1 on every item in batches of 50 by 4 workers, then tally.runs + 1."""
    reached("before")
    reached("during")
    backfill(
        items,
        values={"counter": items.c.counter + 1, "version": items.c.version + 1},
        batch_size=50,
        workers=4,  # four parts of the table at once: a test kills one worker
        pause=BATCH_PAUSE,
    )
    reached("after")
    # Runs in the transaction that records the revision: once, or not at all.
    op.execute(tally.update().values(runs=tally.c.runs + 1))
    reached("end")


def downgrade() -> None:
    """Take both counts back (each a change of its own: version + 1); the backfill
    first, as no change may come before one."""
    backfill(
        items,
        values={"counter": items.c.counter - 1, "version": items.c.version + 1},
        batch_size=50,
    )
    op.execute(tally.update().values(runs=tally.c.runs - 1))
