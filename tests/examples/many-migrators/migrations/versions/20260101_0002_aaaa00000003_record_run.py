"""Insert one row into deploy_runs: run twice, it would leave two.

Revision ID: aaaa00000003
Revises: aaaa00000002

The last of three revisions that 64 migrators started at once race to apply; the test
counts its rows.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "aaaa00000003"
down_revision: str | tuple[str, ...] | None = "aaaa00000002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# The table as it is at this revision; never the application's models.
deploy_runs = sa.table("deploy_runs", sa.column("revision", sa.String))


def upgrade() -> None:
    op.execute(deploy_runs.insert().values(revision=revision))


def downgrade() -> None:
    op.execute(deploy_runs.delete().where(deploy_runs.c.revision == revision))
