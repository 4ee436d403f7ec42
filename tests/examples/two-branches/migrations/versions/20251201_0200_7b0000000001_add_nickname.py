"""Their branch: a nickname for users.

Revision ID: 7b0000000001
Revises: 0002b8c4d2e9

The other head, already applied to shared databases: our branch goes on top of it.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "7b0000000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("nickname", sa.String(40)))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("nickname")
