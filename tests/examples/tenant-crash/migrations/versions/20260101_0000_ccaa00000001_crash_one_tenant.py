"""A revision whose process dies in one tenant: the schema named crash.

tests/test_fleet.py runs `alembic-template fleet` over three schemas with it: the worker
process running the crash tenant ends at once (os._exit, as a segfault or an OOM kill
would), and the fleet reports that tenant failed, starts another worker and upgrades the
rest.

Revision ID: ccaa00000001
Revises: 0002b8c4d2e9
"""

import os

from alembic import op

revision: str = "ccaa00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    """End the process in the crash tenant; nothing elsewhere."""
    if op.get_bind().dialect.default_schema_name == "crash":
        os._exit(3)


def downgrade() -> None:
    """Nothing to undo."""
