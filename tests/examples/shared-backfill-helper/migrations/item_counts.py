"""A project's own helper around backfill(), which two revisions call.

test_exactly_once lays it over the project with the two revisions: the backfill() call
is in this module, on one line, whichever revision calls it. Each revision's backfill
must run, and be forgotten when its revision is recorded.
"""

import sqlalchemy as sa
from alembic_env_backfill import backfill

# version counts the changes of each row: the proof that none changed twice, or not at all.
items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("counter", sa.Integer),
    sa.column("version", sa.Integer),
)


def add_to_counter(amount: int) -> None:
    """counter + amount on every item, in batches of 500."""
    backfill(
        items,
        values={"counter": items.c.counter + amount, "version": items.c.version + 1},
        batch_size=500,
    )
