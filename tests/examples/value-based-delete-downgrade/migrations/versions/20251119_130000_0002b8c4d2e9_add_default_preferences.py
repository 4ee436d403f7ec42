"""Add default preferences for existing users: the team's first version of it.

Revision ID: 0002b8c4d2e9
Revises: 0001a1e7b1d4

Laid over the example revision of the same name. Its downgrade deletes preferences by
their default values, so it also deletes those of users who had chosen csgo with
notifications on themselves. The handwritten test_default_preferences_for_existing_users
still passes (its chosen row is dota2, notifications off); the generated
test_rows_survive[0002b8c4d2e9] must fail, naming the revision and the rows it lost.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002b8c4d2e9"
down_revision: str | tuple[str, ...] | None = "0001a1e7b1d4"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

users = sa.table("users", sa.column("id", sa.String))
user_preferences = sa.table(
    "user_preferences",
    sa.column("id", sa.String),
    sa.column("user_id", sa.String),
    sa.column("default_game", sa.String),
    sa.column("notification_enabled", sa.Boolean),
)


def upgrade() -> None:
    """Give every user without preferences the defaults: csgo, notifications on."""
    has_preferences = sa.exists().where(user_preferences.c.user_id == users.c.id)
    defaults = sa.select(
        sa.literal("pref_") + users.c.id, users.c.id, sa.literal("csgo"), sa.true()
    ).where(~has_preferences)
    columns = ["id", "user_id", "default_game", "notification_enabled"]
    op.execute(user_preferences.insert().from_select(columns, defaults))


def downgrade() -> None:
    """Remove the default preferences: every row that holds the default values."""
    op.execute(
        user_preferences.delete().where(
            user_preferences.c.default_game == "csgo",
            user_preferences.c.notification_enabled == sa.true(),
        )
    )
