"""Index portfolios by name and size.

Revision ID: ca5e00000003
Revises: ca5e00000002
"""

from alembic import op

revision: str = "ca5e00000003"
down_revision: str | tuple[str, ...] | None = "ca5e00000002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_index("ix_portfolios_name_size", "portfolios", ["name", "size"])


def downgrade() -> None:
    op.drop_index("ix_portfolios_name_size", table_name="portfolios")
