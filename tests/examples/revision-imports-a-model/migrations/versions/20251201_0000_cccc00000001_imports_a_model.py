"""Clear the usernames through the application's User model.

Revision ID: cccc00000001
Revises: 0002b8c4d2e9

A revision must not import the application (its models change after the revision is
written): the project's imports test must fail naming this file and line.
"""

import sqlalchemy as sa
from alembic import op
from trading_bot.models.users import User

revision: str = "cccc00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.execute(sa.update(User.__table__).values(username=None))


def downgrade() -> None:
    raise NotImplementedError("the usernames are gone")
