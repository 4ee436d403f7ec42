"""A unique index on targets.title, built concurrently (alembic_env_safe_ddl).

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

The test gives two targets the same title: the build fails, and PostgreSQL would
keep an invalid index that the next try must drop first.
"""

from alembic import op
from alembic_env_safe_ddl import create_index

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    create_index("ix_targets_title", "targets", ["title"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_targets_title", table_name="targets")
