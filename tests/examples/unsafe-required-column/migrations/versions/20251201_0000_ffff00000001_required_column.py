"""Add a required users.phone in one step.

Revision ID: ffff00000001
Revises: 0002b8c4d2e9

Unsafe: the rows users already has get no value. squawk's rule: adding-required-field.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "ffff00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("phone", sa.String(20), nullable=False))


def downgrade() -> None:
    op.drop_column("users", "phone")
