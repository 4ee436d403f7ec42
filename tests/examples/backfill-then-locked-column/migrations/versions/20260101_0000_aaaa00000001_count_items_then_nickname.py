"""Count every item once, then add users.nickname: a backfill before an ALTER that waits.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

test_exactly_once creates items (id, counter, version), all 0, and holds a transaction
that read users: the ALTER gives up on lock_timeout and env.py retries the revision. The
retry must skip the finished backfill: every row ends at counter 1, version 1.
"""

import sqlalchemy as sa
from alembic import op
from alembic_env_backfill import backfill

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
    """counter + 1 on every item, then the column that has to wait for its lock."""
    backfill(
        items,
        values={"counter": items.c.counter + 1, "version": items.c.version + 1},
        batch_size=500,
    )
    op.add_column("users", sa.Column("nickname", sa.String(20)))


def downgrade() -> None:
    """Take the count back (a change of its own: version + 1), then drop the column;
    the backfill first, as no change may come before one."""
    backfill(
        items,
        values={"counter": items.c.counter - 1, "version": items.c.version + 1},
        batch_size=500,
    )
    op.drop_column("users", "nickname")
