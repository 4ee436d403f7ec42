"""Add targets.note; the downgrade drops a column that was never there.

Revision ID: beef00000002
Revises: beef00000001

The project's stairway and no-trace tests must both fail on this revision, saying that
its downgrade failed.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "beef00000002"
down_revision: str | tuple[str, ...] | None = "beef00000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("note", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("targets", "no_such_column")
