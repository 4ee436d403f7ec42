"""MySQL and MariaDB: every ALTER asks to run online, so none copies a table under a lock.

An ALTER TABLE that MySQL cannot run in place copies the whole table, and writes to it
wait until the copy ends: minutes on a big table, with no warning. While env.py runs
migrations (context.configure(mysql_online_ddl=True)), the statements alembic writes for a
revision ask for the online algorithm each change has, so the server refuses (errors 1845
and 1846) instead of copying; the refusal becomes one line naming the revision and the way
out. What MariaDB 10.11 did with each, checked one by one on a table with rows:

    statement (alembic operation)             clause asked for              MariaDB 10.11
    ADD COLUMN (add_column)                   ALGORITHM=INSTANT             instant, also NOT
                                                                            NULL and DEFAULT;
                                                                            AUTO_INCREMENT
                                                                            refused
    DROP COLUMN (drop_column)                 ALGORITHM=INPLACE, LOCK=NONE  instant where it
                                                                            can (0.1 s on
                                                                            1,000,000 rows),
                                                                            also for an
                                                                            indexed column,
                                                                            which INSTANT
                                                                            refuses
    MODIFY, CHANGE (alter_column)             ALGORITHM=INPLACE, LOCK=NONE  NULL, NOT NULL,
                                                                            rename, comment,
                                                                            VARCHAR(50) to (60)
                                                                            in place; INT to
                                                                            BIGINT, VARCHAR(50)
                                                                            to (600) refused
    ALTER COLUMN SET/DROP DEFAULT             ALGORITHM=INPLACE, LOCK=NONE  in place
    CREATE INDEX (create_index)               ALGORITHM=INPLACE LOCK=NONE   in place; FULLTEXT
                                                                            refused
    ADD CONSTRAINT (unique, foreign key,      ALGORITHM=INPLACE, LOCK=NONE  UNIQUE in place;
    check, primary key)                                                     FOREIGN KEY refused
                                                                            unless
                                                                            foreign_key_checks
                                                                            is off; CHECK
                                                                            refused; PRIMARY
                                                                            KEY rebuilt online
    DROP CONSTRAINT, DROP FOREIGN KEY         ALGORITHM=INPLACE, LOCK=NONE  in place; DROP
                                                                            PRIMARY KEY alone
                                                                            refused
    table COMMENT                             ALGORITHM=INPLACE, LOCK=NONE  in place

Left as written: CREATE and DROP TABLE (nothing to copy), RENAME TABLE (MariaDB refuses
LOCK=NONE for it; it only renames), DROP INDEX (MariaDB's DROP INDEX takes no such
clause; dropping an index copies nothing) and the SQL of op.execute().

MariaDB runs an ALGORITHM=INPLACE change instantly, or without copying, where it can;
MySQL rebuilds the table in place while writes go on. INSTANT needs MySQL 8.0.12 or
MariaDB 10.3 for ADD COLUMN: an older server, as the connection reports it, gets
ALGORITHM=INPLACE, LOCK=NONE instead. `alembic upgrade --sql` knows no server and writes
INSTANT.

A revision that accepts a copy says so around the step, with the reason:

    from alembic_env_safe_ddl import allow_table_copy

    with allow_table_copy("the table holds 40 rows"):
        op.alter_column("countries", "code", type_=sa.String(3), existing_type=sa.String(2))

Its statements then go without the clause, and the server copies where it must; as a
decorator, @allow_table_copy("why") above def upgrade() covers the whole function. The
generated project's tests/test_mysql_online.py reads the same marker. It lives beside
env.py, which calls register_online_ddl(); alembic's prepend_sys_path puts this folder
on sys.path.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from alembic import op
from alembic.ddl.base import AddColumn, DropColumn
from alembic.ddl.mysql import MySQLAlterDefault, MySQLChangeColumn, MySQLModifyColumn
from alembic.util import CommandError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, SetTableComment

# The context.configure() option that turns the clauses on (env.py sets it).
OPTION = "mysql_online_ddl"
INSTANT = ", ALGORITHM=INSTANT"
IN_PLACE = ", ALGORITHM=INPLACE, LOCK=NONE"
INDEX_IN_PLACE = " ALGORITHM=INPLACE LOCK=NONE"  # CREATE INDEX's options take no commas
# First versions with INSTANT, by (MariaDB, MySQL).
INSTANT_ADD_COLUMN = ((10, 3), (8, 0, 12))
# ER_ALTER_OPERATION_NOT_SUPPORTED and ..._REASON: "ALGORITHM=... is not supported".
REFUSALS = (1845, 1846)
ASKED = re.compile(r"ALGORITHM=(INSTANT|INPLACE)")
# What to do instead, by the statement refused; the first that matches.
NEW_TABLE = (
    "create a new table in the new shape, copy the rows and keep both in step, switch the "
    "code over, then drop the old table (or run the change with gh-ost or "
    "pt-online-schema-change)"
)
EXPAND_CONTRACT = (
    "add a new column, backfill it (-x template=data), switch the code over, then drop the "
    "old one in a later revision"
)
WAYS_OUT = (
    (
        r"\bFOREIGN KEY\b",
        "add it with alembic_env_safe_ddl.add_foreign_key(), which adds it in place and "
        "checks the rows itself",
    ),
    (r"\bPRIMARY KEY\b", NEW_TABLE),
    (
        r"\bCHECK\s*\(",
        "check the value in the application (MySQL adds a CHECK constraint only by "
        "copying the table)",
    ),
    (r"^ALTER TABLE \S+ (MODIFY|CHANGE)\b", EXPAND_CONTRACT),
    (r"", NEW_TABLE),
)

copy_allowed: ContextVar[str | None] = ContextVar("mysql_table_copy_allowed", default=None)


@contextmanager
def allow_table_copy(reason: str) -> Iterator[None]:
    """Let the statements inside run without the online clause: the server may copy."""
    if not str(reason or "").strip():
        raise CommandError('allow_table_copy() needs the reason: allow_table_copy("why")')
    token = copy_allowed.set(reason)
    try:
        yield
    finally:
        copy_allowed.reset(token)


def wanted() -> bool:
    """Whether a migration with mysql_online_ddl is running, outside allow_table_copy()."""
    if copy_allowed.get() is not None:
        return False
    try:
        opts = op.get_context().opts
    except (NameError, AttributeError):  # no migration behind alembic's op (before, after)
        return False
    return bool(opts.get(OPTION))


def column_clause(dialect: Any, since: tuple[tuple[int, ...], tuple[int, ...]]) -> str:
    """INSTANT where the server has it for this change, else INPLACE, LOCK=NONE."""
    version = dialect.server_version_info
    if not version:  # --sql: no server to ask, a current one is assumed
        return INSTANT
    first = since[0] if getattr(dialect, "is_mariadb", False) else since[1]
    numbers = tuple(part for part in version if isinstance(part, int))
    return INSTANT if numbers >= first else IN_PLACE


def with_clause(construct: type, clause: Callable[[Any, Any], str]) -> None:
    """Compile `construct` on MySQL as before, then append its clause when wanted."""
    dispatcher = construct.__dict__.get("_compiler_dispatcher")
    before = dict(dispatcher.specs) if dispatcher is not None else {}

    def compile_online(element: Any, compiler: Any, **kw: Any) -> str:
        sql = previous[compiler.dialect.name](element, compiler, **kw)
        return sql + clause(element, compiler) if wanted() else sql

    compile_online.online_ddl_previous = before  # type: ignore[attr-defined]
    compiles(construct, "mysql", "mariadb")(compile_online)
    default = construct.__dict__["_compiler_dispatcher"].specs.get("default")
    previous = {}
    for name in ("mysql", "mariadb"):
        found = before.get(name)
        # Imported a second time (another module name): wrap the original, not our wrapper.
        while found is not None and hasattr(found, "online_ddl_previous"):
            found = found.online_ddl_previous.get(name)
        previous[name] = found or default


def register_online_ddl() -> None:
    """Give each statement alembic writes for MySQL its online clause (see the table).

    Once per process: env.py calls it each time it runs.
    """
    if sa.event.contains(sa.engine.Engine, "handle_error", explain_refusal):
        return
    with_clause(AddColumn, lambda e, c: column_clause(c.dialect, INSTANT_ADD_COLUMN))
    with_clause(DropColumn, lambda e, c: IN_PLACE)
    for construct in (MySQLModifyColumn, MySQLChangeColumn, MySQLAlterDefault):
        with_clause(construct, lambda e, c: IN_PLACE)
    for construct in (AddConstraint, DropConstraint, SetTableComment):
        with_clause(construct, lambda e, c: IN_PLACE)
    with_clause(CreateIndex, lambda e, c: INDEX_IN_PLACE)
    sa.event.listen(sa.engine.Engine, "handle_error", explain_refusal)


def explain_refusal(context: Any) -> None:
    """Turn the server's refusal of an online clause into one line: where, why, what to do."""
    error = context.original_exception
    code = error.args[0] if getattr(error, "args", None) else None
    statement = context.statement or ""
    if code not in REFUSALS or not ASKED.search(statement) or not wanted():
        return
    reason = str(error.args[-1]).split(". Try ALGORITHM")[0].split(". Try LOCK")[0]
    where = revision_being_run()
    message = (
        f"{where}: MySQL would block writes to the table for this step (a table copy or a "
        f"lock) and refuses to run it online ({reason}); instead, {way_out(statement)}; or "
        'accept the copy for this step alone: with allow_table_copy("why it is fine"): ... '
        "(from alembic_env_safe_ddl)"
    )
    raise sa.exc.OperationalError(statement, context.parameters, OnlineDdlRefused(message))


def way_out(statement: str) -> str:
    """The safe way to make the change a refused statement makes."""
    return next(way for pattern, way in WAYS_OUT if re.search(pattern, statement, re.I))


class OnlineDdlRefused(Exception):
    """The server refused to run a step online; the message says where and what to do."""


def revision_being_run() -> str:
    """'revision <id> (<file> line <n>)' for the revision whose code runs now."""
    frame = sys._getframe(1)
    while frame is not None:
        names = frame.f_globals
        if "down_revision" in names and "upgrade" in names:
            path = os.path.basename(frame.f_code.co_filename)
            return f"revision {names.get('revision')} ({path} line {frame.f_lineno})"
        frame = frame.f_back
    return "a revision"
