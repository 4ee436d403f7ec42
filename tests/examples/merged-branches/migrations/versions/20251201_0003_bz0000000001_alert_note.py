"""Add alerts.note, after the merge.

Revision ID: bz0000000001
Revises: bm0000000001

The project's stairway and no-trace tests must pass on every revision of this history.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "bz0000000001"
down_revision: str | tuple[str, ...] | None = "bm0000000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("note", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("alerts", "note")
