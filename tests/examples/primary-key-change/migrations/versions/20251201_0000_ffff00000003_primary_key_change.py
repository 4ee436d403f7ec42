"""Key user_preferences by (id, user_id) instead of id.

Revision ID: ffff00000003
Revises: 0002b8c4d2e9

A primary key change: MySQL rebuilds the whole table, or copies it under a lock where no
unique NOT NULL key can stand in meanwhile. The MySQL lint flags both steps.
"""

from alembic import op

revision: str = "ffff00000003"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.drop_constraint("pk_user_preferences", "user_preferences", type_="primary")
    op.create_primary_key("pk_user_preferences", "user_preferences", ["id", "user_id"])


def downgrade() -> None:
    op.drop_constraint("pk_user_preferences", "user_preferences", type_="primary")
    op.create_primary_key("pk_user_preferences", "user_preferences", ["id"])
