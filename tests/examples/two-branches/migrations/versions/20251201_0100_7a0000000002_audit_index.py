"""Our branch, second revision: an index on the audit table, in SQL.

Revision ID: 7a0000000002
Revises: 7a0000000001

The head of our branch. The table it names is read from the SQL text.
"""

from alembic import op

revision: str = "7a0000000002"
down_revision: str | tuple[str, ...] | None = "7a0000000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_audit_what ON audit (what)")


def downgrade() -> None:
    op.drop_index("ix_audit_what", table_name="audit")
