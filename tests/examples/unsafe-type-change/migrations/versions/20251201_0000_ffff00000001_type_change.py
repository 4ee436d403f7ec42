"""Change targets.title from VARCHAR(200) to TEXT.

Revision ID: ffff00000001
Revises: 0002b8c4d2e9

Unsafe on a busy table: a type change may rewrite it under an exclusive lock.
squawk's rule: changing-column-type.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "ffff00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.alter_column("targets", "title", type_=sa.Text(), existing_type=sa.String(200))


def downgrade() -> None:
    op.alter_column("targets", "title", type_=sa.String(200), existing_type=sa.Text())
