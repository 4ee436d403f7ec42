"""Schema changes that stay safe on a busy production database, whatever the dialect.

    from alembic_env_safe_ddl import create_index, set_not_null

    def upgrade() -> None:
        create_index("ix_users_email", "users", ["email"])
        set_not_null("users", "phone")

Each function does the cheapest correct thing for the database it runs on: PostgreSQL gets
the recipe that keeps exclusive locks short (CONCURRENTLY, NOT VALID then VALIDATE, each
step committed alone), SQLite gets batch mode where it cannot ALTER, and MySQL the plain
statement, which env.py asks the server to run online (alembic_env_mysql_online.py), or
a recipe where that is refused (a foreign key). Autogenerate writes calls to these for
indexes and constraints added to tables that already exist.

It lives beside env.py; alembic's prepend_sys_path puts this folder on sys.path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError
from alembic_env_locks import timeout_statements

# For revisions: `with allow_table_copy("why"):` lets MySQL copy a table for the steps inside.
from alembic_env_mysql_online import allow_table_copy as allow_table_copy


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
        with sqlite_batch(table, f"set_not_null({table}.{column})") as batch:
            batch.alter_column(column, nullable=False)
    else:
        op.alter_column(table, column, nullable=False, **existing(table, column, existing_type))


def drop_not_null(table: str, column: str, existing_type: Any = None) -> None:
    """Allow NULL in a column again (cheap everywhere: nothing is scanned)."""
    dialect = op.get_context().dialect
    if dialect.name == "sqlite":
        with sqlite_batch(table, f"drop_not_null({table}.{column})") as batch:
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
    with committed_alone():
        # A rerun after a failed VALIDATE finds the check from last time: start clean.
        drop_own_constraint(table, not_null_check_name(table, column))
        op.execute(
            f"ALTER TABLE {quoted_table} ADD CONSTRAINT {check} "
            f"CHECK ({quoted_column} IS NOT NULL) NOT VALID"
        )
        op.execute(f"ALTER TABLE {quoted_table} VALIDATE CONSTRAINT {check}")
    # Both instant (the valid check proves NOT NULL), in the transaction that records the
    # revision: a failure rolls them back, and a rerun finds them undone.
    op.execute(f"ALTER TABLE {quoted_table} ALTER COLUMN {quoted_column} SET NOT NULL")
    op.execute(f"{OWN_CONSTRAINT}\nALTER TABLE {quoted_table} DROP CONSTRAINT {check}")


def sqlite_batch(table: str, step: str) -> Any:
    """SQLite's batch mode, which rebuilds the table: refused in one line under --sql.

    The rebuild copies the table as the live database has it; --sql has no database to
    read it from (alembic would need the whole Table as copy_from=, which a step naming
    only the table cannot give).
    """
    if op.get_context().as_sql:
        raise CommandError(
            f"{step}: offline --sql is not supported for this step on SQLite: batch mode "
            "rebuilds the table from the live database; run this step without --sql"
        )
    return op.batch_alter_table(table)


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


def create_index(
    name: str, table: str, columns: list[str], *, unique: bool = False, **kw: Any
) -> None:
    """Build an index; on PostgreSQL CONCURRENTLY, so writes to the table go on meanwhile.

    A concurrent build that fails (a timeout, a duplicate for a unique index) leaves an
    INVALID index behind that would block the next try: it is dropped first. A build that
    succeeded before its revision was recorded is kept.
    """
    context = op.get_context()
    if context.dialect.name != "postgresql" or in_callers_transaction():
        op.create_index(name, table, columns, unique=unique, **kw)
        return
    quoting = context.dialect.identifier_preparer
    found = None if context.as_sql else index_validity(name)
    if found is True:
        return
    with committed_alone():
        if found is False or context.as_sql:  # an invalid leftover of a failed build
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quoting.quote(name)}")
        with index_statement_timeout():
            op.create_index(
                name,
                table,
                columns,
                unique=unique,
                postgresql_concurrently=True,
                # For squawk's prefer-robust-stmts; online, a valid index returned early
                # above, and in --sql output the DROP before it cleared any leftover.
                if_not_exists=True,
                **kw,
            )


def drop_index(name: str, table: str) -> None:
    """Drop an index; on PostgreSQL CONCURRENTLY, so queries on the table go on meanwhile."""
    context = op.get_context()
    if context.dialect.name != "postgresql" or in_callers_transaction():
        op.drop_index(name, table_name=table)
        return
    with committed_alone():
        op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)


def add_foreign_key(
    name: str,
    table: str,
    referred_table: str,
    columns: list[str],
    referred_columns: list[str],
    **kw: Any,
) -> None:
    """Add a foreign key; on PostgreSQL NOT VALID, then VALIDATE without blocking writes."""
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        with sqlite_batch(table, f"add_foreign_key({name})") as batch:
            batch.create_foreign_key(name, referred_table, columns, referred_columns, **kw)
    elif dialect == "postgresql":
        with committed_alone():
            drop_own_constraint(table, name)  # left NOT VALID by a failed VALIDATE
            op.create_foreign_key(
                name,
                table,
                referred_table,
                columns,
                referred_columns,
                postgresql_not_valid=True,
                **kw,
            )
            validate(table, name)
    elif dialect in ("mysql", "mariadb"):
        mysql_add_foreign_key(name, table, referred_table, columns, referred_columns, **kw)
    else:
        op.create_foreign_key(name, table, referred_table, columns, referred_columns, **kw)


def mysql_add_foreign_key(
    name: str,
    table: str,
    referred_table: str,
    columns: list[str],
    referred_columns: list[str],
    **kw: Any,
) -> None:
    """MySQL adds a foreign key in place only with foreign_key_checks off (else it copies
    the table under a lock): add it so, then count the rows it would have refused.

    The count runs once the key exists, so a row written meanwhile was checked by the key.
    Rows that refer to nothing make the step drop the key again and fail in one line.
    """
    op.execute("SET foreign_key_checks = 0")
    try:
        op.create_foreign_key(name, table, referred_table, columns, referred_columns, **kw)
    finally:
        op.execute("SET foreign_key_checks = 1")
    quoting = op.get_context().dialect.identifier_preparer
    child, parent = quoting.quote(table), quoting.quote(referred_table)
    present = " AND ".join(f"c.{quoting.quote(column)} IS NOT NULL" for column in columns)
    matched = " AND ".join(
        f"p.{quoting.quote(r)} = c.{quoting.quote(c)}"
        for c, r in zip(columns, referred_columns, strict=True)
    )
    orphans = (
        f"SELECT COUNT(*) FROM {child} c WHERE {present} "
        f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {matched})"
    )
    if op.get_context().as_sql:
        # No rows to count without a database: the script counts them, for its reader.
        op.execute(f"-- add_foreign_key({name}) added the key unchecked: must be 0\n{orphans}")
        return
    found = op.get_bind().exec_driver_sql(orphans).scalar()
    if found:
        op.drop_constraint(name, table, type_="foreignkey")
        raise CommandError(
            f"add_foreign_key({name}): {found} rows of {table} refer to no row of "
            f"{referred_table}: fix or delete them (a data revision before this one), then "
            "run the upgrade again"
        )


def add_check_constraint(name: str, table: str, condition: str) -> None:
    """Add a CHECK; on PostgreSQL NOT VALID, then VALIDATE without blocking writes."""
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        with sqlite_batch(table, f"add_check_constraint({name})") as batch:
            batch.create_check_constraint(name, condition)
    elif dialect == "postgresql":
        with committed_alone():
            drop_own_constraint(table, name)  # left NOT VALID by a failed VALIDATE
            op.create_check_constraint(name, table, condition, postgresql_not_valid=True)
            validate(table, name)
    else:
        op.create_check_constraint(name, table, condition)


def add_unique_constraint(name: str, table: str, columns: list[str]) -> None:
    """Add a UNIQUE constraint; on PostgreSQL from a unique index built concurrently."""
    context = op.get_context()
    if context.dialect.name == "sqlite":
        with sqlite_batch(table, f"add_unique_constraint({name})") as batch:
            batch.create_unique_constraint(name, columns)
    elif context.dialect.name == "postgresql":
        if not context.as_sql and constraint_exists(table, name):
            return  # added by an earlier try of this revision
        if context.as_sql:
            with committed_alone():
                # For a rerun of the script: the constraint owns the index, so it goes first.
                drop_own_constraint(table, name)
        create_index(name, table, columns, unique=True)
        quoting = context.dialect.identifier_preparer
        with committed_alone():
            op.execute(
                f"ALTER TABLE {quoting.quote(table)} ADD CONSTRAINT {quoting.quote(name)} "
                f"UNIQUE USING INDEX {quoting.quote(name)}"
            )
    else:
        op.create_unique_constraint(name, table, columns)


def add_enum_value(
    type_name: str, value: str, *, before: str | None = None, schema: str | None = None
) -> None:
    """Add a label to a PostgreSQL enum type: ALTER TYPE ... ADD VALUE, no table rewrite.

    It commits on its own: PostgreSQL before 12 refuses ADD VALUE in a transaction, and
    later ones refuse to use the new label in the transaction that added it. Elsewhere an
    enum is a column type, and autogenerate writes its change as a column change.
    """
    context = op.get_context()
    if context.dialect.name != "postgresql":
        return
    quoting = context.dialect.identifier_preparer
    name = quoting.quote(type_name)
    qualified = f"{quoting.quote_schema(schema)}.{name}" if schema else name
    position = f" BEFORE {literal(before)}" if before is not None else ""
    with committed_alone():
        op.execute(f"ALTER TYPE {qualified} ADD VALUE IF NOT EXISTS {literal(value)}{position}")


def drop_enum_type(type_name: str, *, schema: str | None = None) -> None:
    """Drop a PostgreSQL enum type a downgrade's tables used, if it is still there.

    op.drop_table() leaves a native enum type behind on PostgreSQL; elsewhere an enum is
    part of its column and went with the table, so this does nothing there. A revision
    autogenerated on PostgreSQL so still downgrades on MySQL and SQLite.
    """
    context = op.get_context()
    if context.dialect.name != "postgresql":
        return
    quoting = context.dialect.identifier_preparer
    name = quoting.quote(type_name)
    qualified = f"{quoting.quote_schema(schema)}.{name}" if schema else name
    op.execute(f"DROP TYPE IF EXISTS {qualified}")


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def in_callers_transaction() -> bool:
    """A connection handed over inside its caller's open transaction (a test, say).

    Nothing may commit there, and CONCURRENTLY cannot run in a transaction at all: the
    steps then run in that transaction, plainly, as the caller asked.
    """
    return bool(getattr(op.get_context(), "_in_external_transaction", False))


@contextmanager
def committed_alone() -> Iterator[None]:
    """Commit each step inside on its own (alembic's autocommit_block), so that no lock
    outlives its statement; in a caller's transaction, run them there instead."""
    if in_callers_transaction():
        yield
        return
    with op.get_context().autocommit_block():
        yield


# squawk flags every DROP CONSTRAINT (clients may rely on it); this comment, which travels
# with the statement into --sql output, accepts those of constraints safe_ddl itself adds.
OWN_CONSTRAINT = "-- squawk-ignore ban-drop-constraint -- safe_ddl's own constraint"


def drop_own_constraint(table: str, name: str) -> None:
    """Drop what a failed try of this recipe left, so that a rerun starts clean."""
    quoting = op.get_context().dialect.identifier_preparer
    op.execute(
        f"{OWN_CONSTRAINT}\n"
        f"ALTER TABLE {quoting.quote(table)} DROP CONSTRAINT IF EXISTS {quoting.quote(name)}"
    )


def constraint_exists(table: str, name: str) -> bool:
    """True when the table has a constraint of that name."""
    quoting = op.get_context().dialect.identifier_preparer
    query = sa.text(
        "SELECT 1 FROM pg_constraint WHERE conname = :name AND conrelid = to_regclass(:table)"
    )
    found = op.get_bind().execute(query, {"name": name, "table": quoting.quote(table)})
    return found.first() is not None


def validate(table: str, name: str) -> None:
    """VALIDATE CONSTRAINT: scans the table under a lock that lets reads and writes go on."""
    quoting = op.get_context().dialect.identifier_preparer
    op.execute(f"ALTER TABLE {quoting.quote(table)} VALIDATE CONSTRAINT {quoting.quote(name)}")


def index_validity(name: str) -> bool | None:
    """True for a valid index of that name, False for an invalid one, None for none."""
    query = sa.text(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = :name AND pg_table_is_visible(c.oid)"
    )
    return op.get_bind().execute(query, {"name": name}).scalar()


@contextmanager
def index_statement_timeout() -> Iterator[None]:
    """Let a concurrent index build run up to index_statement_timeout, then restore.

    lock_timeout is lifted too: CONCURRENTLY waits for older transactions to finish, which
    PostgreSQL counts as waiting for a lock, yet that wait blocks no one else's writes.
    """
    opts = op.get_context().opts
    if "index_statement_timeout" not in opts:  # an env.py of another origin
        yield
        return
    dialect = op.get_context().dialect.name
    lock = 0 if "lock_timeout" in opts else None
    for statement in timeout_statements(dialect, lock, opts["index_statement_timeout"]):
        op.execute(statement)
    try:
        yield
    finally:
        lock = opts.get("lock_timeout")
        for statement in timeout_statements(dialect, lock, opts["statement_timeout"]):
            op.execute(statement)
