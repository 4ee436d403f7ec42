"""Check that users.telegram_id is positive, on a table that has rows.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

alembic_env_safe_ddl.add_check_constraint adds it NOT VALID, then validates it, on
PostgreSQL; the other databases add it as it is. MySQL adds a CHECK only by copying the
table, which this revision accepts (env.py's online clause would make the server refuse).
"""

from alembic import op
from alembic_env_safe_ddl import add_check_constraint, allow_table_copy

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with allow_table_copy("users holds one row in this test"):
        add_check_constraint("ck_users_telegram_id_positive", "users", "telegram_id > 0")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("ck_users_telegram_id_positive", type_="check")
