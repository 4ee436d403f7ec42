"""A long migration history written as revision files, as a real service accumulates one.

Revisions cycle through three kinds of change: add a table, add a column to it, index
that column; each downgrade undoes exactly its upgrade. Used by the benchmark of the
generated suite (benchmarks/suite.py) and by the tests counting its migration steps.
"""

from __future__ import annotations

from pathlib import Path

REVISION = '''"""{message}.

Revision ID: {revision}
Revises: {down_revision}
"""

import sqlalchemy as sa
from alembic import op

revision: str = "{revision}"
down_revision: str | tuple[str, ...] | None = {down_literal}
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    {upgrade}


def downgrade() -> None:
    {downgrade}
'''


def change(number: int) -> tuple[str, str, str]:
    """The message, upgrade and downgrade of the history's revision `number` (from 0)."""
    table = f"history_{number // 3}"
    kind = number % 3
    if kind == 0:
        return (
            f"Add table {table}",
            f'op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True), '
            'sa.Column("name", sa.String(40), nullable=False))',
            f'op.drop_table("{table}")',
        )
    if kind == 1:
        return (
            f"Add column {table}.note",
            f'op.add_column("{table}", sa.Column("note", sa.String(80), nullable=True))',
            f'op.drop_column("{table}", "note")',
        )
    return (
        f"Index {table}.note",
        f'op.create_index("ix_{table}_note", "{table}", ["note"])',
        f'op.drop_index("ix_{table}_note", table_name="{table}")',
    )


def write_history(versions: Path, count: int, down_revision: str | None = None) -> list[str]:
    """Write `count` revisions into `versions`, the first revising `down_revision`.

    Returns their revision ids, oldest first.
    """
    revisions = []
    for number in range(count):
        revision = f"1a57{number:08d}"
        message, upgrade, downgrade = change(number)
        text = REVISION.format(
            message=message,
            revision=revision,
            down_revision=down_revision or "",
            down_literal=f'"{down_revision}"' if down_revision else "None",
            upgrade=upgrade,
            downgrade=downgrade,
        )
        (versions / f"{number + 1:04d}_{revision}_history.py").write_text(text, encoding="utf-8")
        revisions.append(revision)
        down_revision = revision
    return revisions
