"""Portfolio notes with a default, and a name once per kind.

Revision ID: ca5e00000002
Revises: ca5e00000001

Adds a column and a unique constraint to a table (a copy of the table on SQLite).
"""

import sqlalchemy as sa
from alembic import op

revision: str = "ca5e00000002"
down_revision: str | tuple[str, ...] | None = "ca5e00000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("portfolios") as batch:
        batch.add_column(sa.Column("note", sa.String(200), server_default="none"))
        batch.create_unique_constraint("uq_portfolios_name_kind", ["name", "kind"])


def downgrade() -> None:
    with op.batch_alter_table("portfolios") as batch:
        batch.drop_constraint("uq_portfolios_name_kind", type_="unique")
        batch.drop_column("note")
