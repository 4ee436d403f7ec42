"""Index users.created_at, concurrently on PostgreSQL (alembic_env_safe_ddl).

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

The first of three revisions that 64 migrators started at once race to apply: a
concurrent index build, run while the others wait for the migration lock.
"""

from alembic import op
from alembic_env_safe_ddl import create_index

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    create_index("ix_users_created_at", "users", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_users_created_at", table_name="users")
