"""Delete the users who never chose a username.

Revision ID: ffff00000001
Revises: 0002b8c4d2e9

Its upgrade deletes rows on purpose, and does not say so: the project's
test_rows_survive[ffff00000001] must fail, naming the rows. With a module-level
`deletes_rows = "why"` added, it passes.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "ffff00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

users = sa.table("users", sa.column("id", sa.String), sa.column("username", sa.String))


def upgrade() -> None:
    op.execute(users.delete().where(users.c.username.is_(None)))


def downgrade() -> None:
    raise NotImplementedError("the deleted users are gone")
