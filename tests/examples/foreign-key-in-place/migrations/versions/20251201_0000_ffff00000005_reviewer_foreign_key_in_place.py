"""Add targets.reviewer_id, referring to users, with alembic_env_safe_ddl.add_foreign_key.

Revision ID: ffff00000005
Revises: 0002b8c4d2e9

On MySQL the key is added in place (foreign_key_checks off), then a query counts the rows
referring to no user: with SCENARIO_ORPHAN set, one target refers to a user that does not
exist, and the step drops the key again and fails in one line.
"""

import os

import sqlalchemy as sa
from alembic import op
from alembic_env_safe_ddl import add_foreign_key

revision: str = "ffff00000005"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("reviewer_id", sa.String(36)))
    if os.environ.get("SCENARIO_ORPHAN"):
        op.execute("UPDATE targets SET reviewer_id = 'nobody'")
    add_foreign_key("fk_targets_reviewer_id_users", "targets", "users", ["reviewer_id"], ["id"])


def downgrade() -> None:
    op.drop_constraint("fk_targets_reviewer_id_users", "targets", type_="foreignkey")
    op.drop_column("targets", "reviewer_id")
