"""Create portfolios: a foreign key, a unique name, an enum, a check and a default.

Revision ID: ca5e00000001
Revises: 0002b8c4d2e9

With the two revisions after it, the schema changes the walk's cached schema reads must
follow (tests/test_cached_schema_agrees.py).
"""

import sqlalchemy as sa
from alembic import op

revision: str = "ca5e00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "portfolios",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("kind", sa.Enum("long", "short", name="portfolio_kind"), nullable=False),
        sa.Column("size", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("size >= 0", name="ck_portfolios_size"),
    )


def downgrade() -> None:
    op.drop_table("portfolios")
    sa.Enum(name="portfolio_kind").drop(op.get_bind(), checkfirst=True)
