"""Backfill items.counter = counter + 1 slowly, on one worker: ten rows a batch, then a pause.

Revision ID: aaaa00000002
Revises: aaaa00000001

test_env_errors creates items (id, counter) with rows before the upgrade, and
terminates both the migration's connection and the batch connection midway: one line,
no traceback.
"""

import sqlalchemy as sa
from alembic_env_backfill import backfill

revision: str = "aaaa00000002"
down_revision: str | tuple[str, ...] | None = "aaaa00000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

items = sa.table("items", sa.column("id", sa.Integer), sa.column("counter", sa.Integer))


def upgrade() -> None:
    backfill(items, values={"counter": items.c.counter + 1}, batch_size=10, pause=0.05, workers=1)


def downgrade() -> None:
    backfill(items, values={"counter": items.c.counter - 1}, batch_size=10, pause=0.05)
