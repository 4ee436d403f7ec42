"""Add targets.note, index it concurrently, then add users.nickname, which is locked.

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

On PostgreSQL the concurrent index commits what ran before it (targets.note); the last
ALTER then gives up on its lock. The revision is half-applied: env.py must not retry it
(that would add targets.note again), and the message must say so.
"""

import sqlalchemy as sa
from alembic import op
from alembic_env_safe_ddl import create_index

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("note", sa.String(20)))
    create_index("ix_targets_note", "targets", ["note"])
    op.add_column("users", sa.Column("nickname", sa.String(20)))


def downgrade() -> None:
    op.drop_column("users", "nickname")
    op.drop_index("ix_targets_note", table_name="targets")
    op.drop_column("targets", "note")
