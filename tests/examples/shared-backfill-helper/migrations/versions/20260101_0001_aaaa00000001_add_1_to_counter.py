"""counter + 1 on every item, through the project's helper (migrations/item_counts.py).

Revision ID: aaaa00000001
Revises: 0002b8c4d2e9

One of two revisions calling the same helper: after both, every item is at counter 11,
version 2.
"""

from item_counts import add_to_counter

revision: str = "aaaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    """counter + 1 on every item."""
    add_to_counter(1)


def downgrade() -> None:
    """Take it back (a change of its own: version + 1)."""
    add_to_counter(-1)
