"""Give each target a sort position, numbered per user in Python from rows it reads.

Revision ID: ffff00000001
Revises: 0002b8c4d2e9

A data revision that reads rows (`op.get_bind().execute(...).fetchall()`) before its
writes, after DDL of its own: `alembic upgrade --sql` has no rows to read, so the squawk
test skips it with one line saying why, instead of a traceback.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "ffff00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

targets = sa.table(
    "targets",
    sa.column("id", sa.Integer),
    sa.column("user_id", sa.String),
    sa.column("position", sa.Integer),
)


def upgrade() -> None:
    """Add targets.position and number each user's targets 1, 2, 3... by id."""
    op.add_column("targets", sa.Column("position", sa.Integer(), nullable=True))
    query = sa.select(targets.c.id, targets.c.user_id).order_by(targets.c.user_id, targets.c.id)
    rows = op.get_bind().execute(query).fetchall()
    numbers: dict[str, int] = {}
    for row in rows:
        numbers[row.user_id] = numbers.get(row.user_id, 0) + 1
        op.execute(
            targets.update().where(targets.c.id == row.id).values(position=numbers[row.user_id])
        )


def downgrade() -> None:
    """Drop targets.position, and the numbers with it."""
    op.drop_column("targets", "position")
