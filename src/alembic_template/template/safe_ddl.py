"""Schema changes that stay safe on a busy production database, whatever the dialect.

    from safe_ddl import set_not_null

    def upgrade() -> None:
        set_not_null("users", "phone")

Each function does the cheapest correct thing for the database it runs on: PostgreSQL gets
the recipe that keeps exclusive locks short, SQLite gets batch mode (it cannot ALTER a
column), MySQL gets the plain statement with the column's type restated, as it requires.

It lives beside env.py; alembic's prepend_sys_path puts this folder on sys.path.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError


def set_not_null(table: str, column: str, existing_type: Any = None) -> None:
    """Make a column NOT NULL.

    On PostgreSQL a plain SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE
    lock, stalling every query on it. Instead: add CHECK (column IS NOT NULL) NOT VALID
    (instant), VALIDATE it (a scan that lets reads and writes go on), then SET NOT NULL,
    which PostgreSQL 12+ proves from the valid check without a scan, and drop the check.
    Each step commits on its own, so no exclusive lock outlives its statement.
    """
    dialect = op.get_context().dialect
    if dialect.name == "postgresql":
        postgresql_set_not_null(dialect.identifier_preparer, table, column)
    elif dialect.name == "sqlite":
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, nullable=False)
    else:
        op.alter_column(table, column, nullable=False, **existing(table, column, existing_type))


def drop_not_null(table: str, column: str, existing_type: Any = None) -> None:
    """Allow NULL in a column again (cheap everywhere: nothing is scanned)."""
    dialect = op.get_context().dialect
    if dialect.name == "sqlite":
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, nullable=True)
    elif dialect.name == "postgresql":
        op.alter_column(table, column, nullable=True)
    else:
        op.alter_column(table, column, nullable=True, **existing(table, column, existing_type))


def postgresql_set_not_null(quoting: Any, table: str, column: str) -> None:
    """The NOT VALID check, VALIDATE, SET NOT NULL, drop check recipe, step by step."""
    quoted_table = quoting.quote(table)
    quoted_column = quoting.quote(column)
    check = quoting.quote(not_null_check_name(table, column))
    with op.get_context().autocommit_block():
        # A rerun after a failed VALIDATE finds the check from last time: start clean.
        op.execute(f"ALTER TABLE {quoted_table} DROP CONSTRAINT IF EXISTS {check}")
        op.execute(
            f"ALTER TABLE {quoted_table} ADD CONSTRAINT {check} "
            f"CHECK ({quoted_column} IS NOT NULL) NOT VALID"
        )
        op.execute(f"ALTER TABLE {quoted_table} VALIDATE CONSTRAINT {check}")
        op.execute(f"ALTER TABLE {quoted_table} ALTER COLUMN {quoted_column} SET NOT NULL")
        op.execute(f"ALTER TABLE {quoted_table} DROP CONSTRAINT {check}")


def not_null_check_name(table: str, column: str) -> str:
    """The temporary check's name, by the naming convention, within PostgreSQL's 63 bytes."""
    return f"ck_{table}_{column}_not_null"[:63]


def existing(table: str, column: str, existing_type: Any) -> dict[str, Any]:
    """What MySQL's MODIFY COLUMN must restate, or it drops the column's default and type."""
    context = op.get_context()
    if existing_type is not None:
        return {"existing_type": existing_type}
    if context.as_sql:
        raise CommandError(
            f"{table}.{column}: --sql on MySQL cannot look the column up; "
            "pass existing_type= to set_not_null()/drop_not_null()"
        )
    found = {c["name"]: c for c in sa.inspect(op.get_bind()).get_columns(table)}
    if column not in found:
        raise CommandError(f"{table}.{column}: no such column")
    reflected = found[column]
    default = reflected.get("default")
    return {
        "existing_type": reflected["type"],
        # Reflected defaults are SQL text already ('abc', CURRENT_TIMESTAMP): keep as is.
        "existing_server_default": sa.text(default) if default is not None else None,
        "existing_comment": reflected.get("comment"),
    }
