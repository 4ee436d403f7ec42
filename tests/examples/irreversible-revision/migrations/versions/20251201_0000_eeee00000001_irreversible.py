"""Clear the usernames: irreversible, and marked so.

Revision ID: eeee00000001
Revises: 0002b8c4d2e9

The project's stairway and no-trace tests skip it on purpose, saying why, and every
other revision's tests still pass.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "eeee00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

users = sa.table("users", sa.column("username", sa.String))


def upgrade() -> None:
    op.execute(sa.update(users).values(username=None))


def downgrade() -> None:
    raise NotImplementedError("the usernames are gone")
