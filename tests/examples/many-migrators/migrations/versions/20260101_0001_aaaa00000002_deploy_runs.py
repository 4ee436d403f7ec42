"""Create deploy_runs, slowly: the lock holder takes 3 s, so the other migrators overlap.

Revision ID: aaaa00000002
Revises: aaaa00000001

The second of three revisions that 64 migrators started at once race to apply.
"""

import time

import sqlalchemy as sa
from alembic import op

revision: str = "aaaa00000002"
down_revision: str | tuple[str, ...] | None = "aaaa00000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    time.sleep(3)  # while the others start up and queue for the migration lock
    op.create_table(
        "deploy_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deploy_runs")
