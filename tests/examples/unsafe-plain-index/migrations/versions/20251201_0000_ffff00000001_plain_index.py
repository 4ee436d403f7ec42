"""Index users.username with a plain CREATE INDEX.

Revision ID: ffff00000001
Revises: 0002b8c4d2e9

Unsafe on a busy table: it blocks writes while it builds. squawk's rule:
require-concurrent-index-creation.
"""

from alembic import op

revision: str = "ffff00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_index("ix_users_username_plain", "users", ["username"])


def downgrade() -> None:
    op.drop_index("ix_users_username_plain", table_name="users")
