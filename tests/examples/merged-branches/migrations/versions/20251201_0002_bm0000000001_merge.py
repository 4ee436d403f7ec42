"""Merge the watchlists and alerts branches.

Revision ID: bm0000000001
Revises: ba0000000001, bb0000000001

A merge changes nothing: its downgrade must give back both branches' heads.
"""

revision: str = "bm0000000001"
down_revision: str | tuple[str, ...] | None = ("ba0000000001", "bb0000000001")
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
