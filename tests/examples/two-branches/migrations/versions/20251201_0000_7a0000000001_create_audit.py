"""Our branch, first revision: an audit table.

Revision ID: 7a0000000001
Revises: 0002b8c4d2e9

With 7a0000000002 it is the branch `rebase 7a0000000002` moves on top of 7b0000000001,
written at the same time from the same head; neither touches the other's tables.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "7a0000000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("what", sa.String(50), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit")
