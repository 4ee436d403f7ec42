"""Awards go with their user: the foreign key, recreated with ON DELETE CASCADE (MySQL).

Revision ID: ffff00000002
Revises: ffff00000001

The downgrade puts the key back under its old name, awards_ibfk_1; MySQL then names the
new implicit index after the key, not after the column as before. The schema is the same:
the no-trace test must pass.
"""

from alembic import op
from alembic_env_safe_ddl import add_foreign_key

revision: str = "ffff00000002"
down_revision: str | tuple[str, ...] | None = "ffff00000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.drop_constraint("awards_ibfk_1", "awards", type_="foreignkey")
    op.drop_index("user_id", table_name="awards")
    add_foreign_key(
        "fk_awards_user_id_users", "awards", "users", ["user_id"], ["id"], ondelete="CASCADE"
    )


def downgrade() -> None:
    op.drop_constraint("fk_awards_user_id_users", "awards", type_="foreignkey")
    op.drop_index("fk_awards_user_id_users", table_name="awards")
    add_foreign_key("awards_ibfk_1", "awards", "users", ["user_id"], ["id"])
