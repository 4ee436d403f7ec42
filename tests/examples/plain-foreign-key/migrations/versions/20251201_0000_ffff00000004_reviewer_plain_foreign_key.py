"""Add targets.reviewer_id, referring to users, with alembic's own create_foreign_key.

Revision ID: ffff00000004
Revises: 0002b8c4d2e9

MySQL adds a foreign key in place only with foreign_key_checks off, so under env.py's
online clause MariaDB refuses this one; the MySQL lint names add_foreign_key() instead.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "ffff00000004"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("reviewer_id", sa.String(36)))
    op.create_foreign_key(
        "fk_targets_reviewer_id_users", "targets", "users", ["reviewer_id"], ["id"]
    )


def downgrade() -> None:
    op.drop_constraint("fk_targets_reviewer_id_users", "targets", type_="foreignkey")
    op.drop_column("targets", "reviewer_id")
