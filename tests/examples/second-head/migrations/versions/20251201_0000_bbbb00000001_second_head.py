"""An empty revision that branches from the initial one: a second head.

Revision ID: bbbb00000001
Revises: 0001a1e7b1d4

The project's single-head test and its CI's "One head" step must refuse it.
"""

revision: str = "bbbb00000001"
down_revision: str | tuple[str, ...] | None = "0001a1e7b1d4"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
