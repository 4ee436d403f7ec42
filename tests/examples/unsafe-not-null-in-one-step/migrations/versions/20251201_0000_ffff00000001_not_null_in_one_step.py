"""Make users.username NOT NULL in one step.

Revision ID: ffff00000001
Revises: 0002b8c4d2e9

Unsafe on a busy table: SET NOT NULL scans it under an exclusive lock. squawk's
rule: adding-not-nullable-field.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "ffff00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.alter_column("users", "username", nullable=False, existing_type=sa.String(64))


def downgrade() -> None:
    op.alter_column("users", "username", nullable=True, existing_type=sa.String(64))
