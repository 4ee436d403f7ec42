"""Check that targets.price is below a million, with alembic's own create_check_constraint.

Revision ID: ffff00000006
Revises: 0002b8c4d2e9

MySQL adds a CHECK constraint only by copying the table: the MySQL lint flags it.
"""

from alembic import op

revision: str = "ffff00000006"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_check_constraint("ck_targets_price_below_a_million", "targets", "price < 1000000")


def downgrade() -> None:
    op.drop_constraint("ck_targets_price_below_a_million", "targets", type_="check")
