"""Alembic migration environment from alembic-template.

Nothing in this file needs editing: it is configured from alembic's config (the
``[alembic]`` section of alembic.ini or ``[tool.alembic]`` in pyproject.toml) and from
environment variables, which win over the config:

    option            environment variable        meaning
    sqlalchemy.url    DATABASE_URL                the database to migrate
    target_metadata   ALEMBIC_TARGET_METADATA     "package.module:attribute" of the MetaData
    exclude_tables    ALEMBIC_EXCLUDE_TABLES      more table patterns autogenerate ignores
    include_schemas   ALEMBIC_INCLUDE_SCHEMAS     "true": autogenerate looks at every schema
    lock_timeout      ALEMBIC_LOCK_TIMEOUT        longest wait for a table lock (3s)
    lock_retries      ALEMBIC_LOCK_RETRIES        tries after a lock timeout, with backoff (3)
    statement_timeout ALEMBIC_STATEMENT_TIMEOUT   longest statement (10min)
    index_statement_timeout  ALEMBIC_INDEX_STATEMENT_TIMEOUT   for CONCURRENTLY builds (2h)
    migration_lock_timeout   ALEMBIC_MIGRATION_LOCK_TIMEOUT    wait for another migrator (10min)

``alembic -x verbose=true upgrade head`` also logs each SQL statement as it runs, and
``alembic -x template=data revision -m "..."`` picks the kind of revision to write
(schema, data or stairway; see MIGRATION_TEMPLATES).
"""

from __future__ import annotations

import asyncio
import configparser
import fnmatch
import functools
import importlib
import logging
import os
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from logging.config import fileConfig
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate import renderers
from alembic.operations import ops
from alembic.util import CommandError, rev_id
from sqlalchemy.engine import URL, Connection

config = context.config
log = logging.getLogger("alembic.env")

# Temporary tables by the usual naming habits; `exclude_tables` adds to these.
DEFAULT_EXCLUDED_TABLES = ("tmp_*", "temp_*")

# Tables that belong to the database or an extension, never to the application's models.
SYSTEM_TABLES = (
    "sqlite_*",  # SQLite's own bookkeeping (sqlite_sequence, sqlite_stat1, ...)
    "spatial_ref_sys",  # PostGIS
    "geometry_columns",
    "geography_columns",
    "raster_columns",
    "raster_overviews",
    "_timescaledb_*",  # TimescaleDB catalogs and chunks
    "_hyper_*",
    "alembic_backfill_progress",  # alembic_env_backfill.py's resume points
)

# Schemas of the database and its extensions, skipped when include_schemas is on.
SYSTEM_SCHEMAS = (
    "information_schema",
    "pg_*",
    "mysql",
    "performance_schema",
    "sys",
    "topology",
    "tiger",
    "tiger_data",
    "_timescaledb_*",
    "timescaledb_*",
)


# The kinds of revision: `-x template=NAME` renders NAME.py.mako beside script.py.mako
# (schema is script.py.mako's own body).
MIGRATION_TEMPLATES = ("schema", "data", "stairway")

# Defaults for a busy service: a DDL statement queued behind a long transaction blocks
# every later query on its table, so it must give up soon and try again later.
TIMEOUT_DEFAULTS = {
    "lock_timeout": "3s",
    "statement_timeout": "10min",
    "index_statement_timeout": "2h",
    "migration_lock_timeout": "10min",
}
DEFAULT_LOCK_RETRIES = 3
DURATION_UNITS = {"ms": 0.001, "s": 1, "min": 60, "h": 3600}

# Drivers for a URL that names none, when SQLAlchemy's default one is not installed.
FALLBACK_DRIVERS = {"postgresql": ("psycopg",), "mysql": ("pymysql",), "mariadb": ("pymysql",)}

# The session advisory lock every migrator of a PostgreSQL database takes ("alem").
ADVISORY_LOCK_KEY = 0x616C656D
# Commands that change the database, and so wait for one another.
MIGRATING_COMMANDS = {"upgrade", "downgrade", "stamp", None}


# --- Reading the configuration -----------------------------------------------------------


def read_option(name: str, environment_variable: str | None = None) -> Any:
    """Return an option from the environment first, then from alembic's config."""
    if environment_variable and os.environ.get(environment_variable):
        return os.environ[environment_variable]
    try:
        return config.get_alembic_option(name)
    except configparser.Error:
        # The message would quote the value, and a URL's password with it.
        raise CommandError(
            f"{name} in {config.config_file_name} cannot be read: write each % as %%"
        ) from None


def is_true(value: Any) -> bool:
    """Read a boolean the way both ini strings and TOML booleans spell it."""
    return value is True or str(value).strip().lower() in {"1", "true", "yes", "on"}


def option_list(value: Any) -> list[str]:
    """Split an ini value on commas and whitespace; a TOML list comes as it is."""
    if not value:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value).replace(",", " ").split()


def seconds_option(name: str) -> float:
    """A duration option ("500ms", "3s", "10min", "2h"; a bare number is seconds; 0: off)."""
    raw = read_option(name, f"ALEMBIC_{name.upper()}")
    raw = str(TIMEOUT_DEFAULTS[name] if raw in (None, "") else raw).strip()
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|min|h)?", raw)
    if not found:
        raise CommandError(f"{name} = {raw!r} is not a duration: write e.g. 500ms, 3s, 10min, 2h")
    return float(found[1]) * DURATION_UNITS[found[2] or "s"]


def lock_retries() -> int:
    """How many times a revision that timed out waiting for a lock is tried again."""
    raw = read_option("lock_retries", "ALEMBIC_LOCK_RETRIES")
    try:
        return DEFAULT_LOCK_RETRIES if raw in (None, "") else max(int(raw), 0)
    except ValueError:
        raise CommandError(f"lock_retries = {raw!r} is not a whole number") from None


# --- The database URL and the engine -----------------------------------------------------


def shown(url: URL) -> str:
    """Render a URL for messages: the password never leaves this process."""
    return url.render_as_string(hide_password=True)


def database_url() -> URL:
    """The URL to migrate: $DATABASE_URL, else sqlalchemy.url, checked before use."""
    raw = read_option("sqlalchemy.url", "DATABASE_URL")
    if not raw or not str(raw).strip():
        raise CommandError(
            "no database URL: set DATABASE_URL or sqlalchemy.url in alembic's config"
        )
    source = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "sqlalchemy.url"
    try:
        url = sa.make_url(str(raw).strip())
        url.get_dialect()
    except sa.exc.NoSuchModuleError:  # a kind of ArgumentError: test it first
        raise CommandError(
            f"{source} names an unknown database '{raw.split(':', 1)[0]}'; "
            "use postgresql+psycopg, mysql+pymysql or sqlite"
        ) from None
    except sa.exc.ArgumentError:
        raise CommandError(
            f"{source} is not a database URL; expected dialect+driver://user:password@host/db"
        ) from None
    return url


def create_engine(url: URL) -> Any:
    """Create a sync or async engine, as the URL's driver requires.

    A URL naming no driver (postgresql://...) gets SQLAlchemy's default one; where that
    is not installed (SQLAlchemy 2.0 defaults to psycopg2 and mysqlclient), an installed
    driver of FALLBACK_DRIVERS is used instead, so the usual driverless URLs work.
    """
    try:
        return engine_for(url)
    except ImportError as error:
        for driver in FALLBACK_DRIVERS.get(url.drivername, ()):
            try:
                engine = engine_for(url.set(drivername=f"{url.drivername}+{driver}"))
            except ImportError:
                continue
            log.info("%s is not installed: using %s+%s", error.name, url.drivername, driver)
            return engine
        raise CommandError(
            f"the URL's driver needs the module '{error.name}', which is not installed: "
            "install it, or name an installed driver in the URL (dialect+driver://...)"
        ) from None


def engine_for(url: URL) -> Any:
    """An engine without a pool (one migration, one connection), async if the driver is."""
    if url.get_dialect().is_async:
        # Imported here: SQLAlchemy's asyncio support needs greenlet, sync URLs do not.
        from sqlalchemy.ext.asyncio import create_async_engine

        return create_async_engine(url, poolclass=sa.pool.NullPool)
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def connection_error(url: URL, error: Exception) -> CommandError:
    """Turn a failed connect into one line that names the server but not the password."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return CommandError(f"cannot connect to {shown(url)}: {reason}")


# --- What autogenerate compares: the models and the database's own objects ---------------


def import_submodules(package: ModuleType) -> None:
    """Import every module below a package, so autogenerate sees every model."""
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)


def load_target_metadata() -> sa.MetaData:
    """Find the models' MetaData named by target_metadata ("package.module:attribute")."""
    spec = read_option("target_metadata", "ALEMBIC_TARGET_METADATA")
    if not spec:
        raise CommandError(
            "target_metadata is not set: add target_metadata = yourpackage.models:metadata "
            "to alembic's config (or set ALEMBIC_TARGET_METADATA)"
        )
    module_name, _, attribute = str(spec).strip().partition(":")
    if not module_name or not attribute:
        raise CommandError(
            f"target_metadata = {spec!r} is not module:attribute, e.g. yourpackage.models:metadata"
        )
    try:
        found: Any = importlib.import_module(module_name)
        if hasattr(found, "__path__"):
            import_submodules(found)
    except ImportError as error:
        raise CommandError(
            f"target_metadata = {spec!r}: cannot import {error.name or module_name!r}; "
            "check the name and prepend_sys_path in alembic's config"
        ) from None
    for part in attribute.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, sa.MetaData):
        raise CommandError(
            f"target_metadata = {spec!r} is {type(found).__name__}, not a MetaData; "
            "point it at a MetaData, e.g. yourpackage.models:Base.metadata"
        )
    return found


def excluded_tables() -> tuple[str, ...]:
    """Table patterns autogenerate never touches: temporary, system and configured."""
    configured = option_list(read_option("exclude_tables", "ALEMBIC_EXCLUDE_TABLES"))
    return DEFAULT_EXCLUDED_TABLES + SYSTEM_TABLES + tuple(configured)


def matches(name: str, patterns: tuple[str, ...]) -> bool:
    """True when a name matches one of the fnmatch patterns, case-sensitively."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def partition_children(connection: Connection | None) -> set[tuple[str | None, str]]:
    """PostgreSQL partitions reflect as ordinary tables; autogenerate would drop them.

    Keyed (schema, table) as include_name sees them: None for the default schema.
    """
    if connection is None or connection.dialect.name != "postgresql":
        return set()
    query = sa.text(
        "SELECT CASE WHEN n.nspname = current_schema() THEN NULL ELSE n.nspname END, "
        "c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relispartition"
    )
    return {(schema, name) for schema, name in connection.execute(query)}


def name_filter(connection: Connection | None) -> Any:
    """Build include_name: what autogenerate reflects from the database at all."""
    patterns = excluded_tables()
    # Looked up on first use, inside alembic's transaction: a query made before
    # context.configure() would open a transaction that alembic then never commits.
    partitions = functools.cache(lambda: partition_children(connection))

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "schema":
            return name is None or not matches(name, SYSTEM_SCHEMAS)
        if type_ == "table":
            key = (parent_names.get("schema_name"), name)
            return not matches(name or "", patterns) and key not in partitions()
        return True

    return include_name


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Skip model tables marked info={"skip_autogenerate": True} (views, foreign tables)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return not (isinstance(table, sa.Table) and table.info.get("skip_autogenerate"))


# --- Planning new revisions: which template, stairways, safe additions -------------------


def running_command() -> str | None:
    """The alembic subcommand run from the command line; None when called from code."""
    command = getattr(config.cmd_opts, "cmd", None)
    return getattr(command[0], "__name__", None) if command else None


def needs_database() -> bool:
    """False for the commands that run env.py only because revision_environment is on."""
    options = config.cmd_opts
    command = running_command()
    if command == "revision":
        return bool(options.autogenerate)
    if command == "history":
        return bool(options.indicate_current) or "current" in (options.rev_range or "")
    return command != "merge"


def needs_metadata() -> bool:
    """Only autogenerate compares with the models: applying revisions never imports them."""
    command = running_command()
    if command == "revision":
        return bool(config.cmd_opts.autogenerate)
    return command in ("check", None)  # None: called from code, perhaps to autogenerate


def chosen_template() -> str:
    """The kind of revision asked for with -x template=..., checked before any file exists."""
    chosen = context.get_x_argument(as_dictionary=True).get("template", "schema")
    if chosen not in MIGRATION_TEMPLATES:
        raise CommandError(
            f"unknown migration template {chosen!r}: use -x template= with one of "
            + ", ".join(MIGRATION_TEMPLATES)
        )
    template = Path(context.script.dir) / f"{chosen}.py.mako"
    if chosen != "schema" and not template.exists():
        raise CommandError(f"{template} is missing: copy it from alembic-template")
    return chosen


# What script.py.mako needs beyond alembic's own variables. The stairway entry is filled in
# while the revisions are planned, after context.configure() has handed this dict over.
TEMPLATE_ARGS: dict[str, Any] = {"migration_template": "schema", "stairway": {}}


def added_columns(operations: list[Any]) -> list[ops.AddColumnOp]:
    """Every add-column operation, also those grouped per table for batch mode."""
    found = []
    for operation in operations:
        if isinstance(operation, ops.AddColumnOp):
            found.append(operation)
        elif isinstance(operation, ops.ModifyTableOps):
            found.extend(added_columns(operation.ops))
    return found


def relax_new_not_null_columns(script: ops.MigrationScript) -> list[tuple[str, str]]:
    """The expand step: each new NOT NULL column without a default is added nullable."""
    relaxed = []
    for operation in added_columns(script.upgrade_ops.ops):
        column = operation.column
        if not column.nullable and column.server_default is None:
            column.nullable = True
            relaxed.append((operation.table_name, column.name))
    if not relaxed:
        raise CommandError(
            "stairway: autogenerate found no new NOT NULL column; add one to a model, "
            "or leave out --autogenerate to write empty stairway revisions"
        )
    return relaxed


def columns_named_in(message: str) -> list[tuple[str, str]]:
    """A message starting "table.column" names the column the skeletons are about."""
    found = re.match(r"(\w+)\.(\w+)\b", message)
    return [(found[1], found[2])] if found else []


def later_rev_id(after: str) -> str:
    """A new revision id sorting after `after`: files of one minute then sort in order."""
    for _ in range(1000):  # an id given with --rev-id may leave no room: then any will do
        candidate = rev_id()
        if candidate > after:
            return candidate
    return rev_id()


def stairway_scripts(script: ops.MigrationScript, autogenerate: bool) -> list[Any]:
    """Split one revision into three chained ones: expand, backfill, contract."""
    message = script.message or "stairway"
    columns = relax_new_not_null_columns(script) if autogenerate else columns_named_in(message)
    steps = [script]
    for _ in ("backfill", "contract"):
        steps.append(
            ops.MigrationScript(
                rev_id=later_rev_id(steps[-1].rev_id),
                message=message,
                upgrade_ops=ops.UpgradeOps([]),
                downgrade_ops=ops.DowngradeOps([]),
                head=steps[-1].rev_id,
                version_path=script.version_path,
            )
        )
    for step, phase in zip(steps, ("expand", "backfill", "contract"), strict=True):
        step.message = f"{message} - {phase}"
        TEMPLATE_ARGS["stairway"][step.rev_id] = {
            "phase": phase,
            "columns": columns,
            "autogenerated": autogenerate,
        }
    return steps


class SafeCall(ops.MigrateOperation):
    """A call of a alembic_env_safe_ddl.py helper, written into the revision as it is."""

    def __init__(self, function: str, *args: Any, **kwargs: Any) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs


@renderers.dispatch_for(SafeCall)
def render_safe_call(autogen_context: Any, call: SafeCall) -> str:
    """Render `create_index(op.f("ix_..."), "users", ["email"])` and import it."""
    autogen_context.imports.add(f"from alembic_env_safe_ddl import {call.function}")

    def literal(value: Any) -> str:
        is_conventional = isinstance(value, sa.sql.elements.conv)
        return f"op.f({str(value)!r})" if is_conventional else repr(value)

    arguments = [literal(a) for a in call.args]
    arguments += [f"{key}={literal(value)}" for key, value in call.kwargs.items() if value]
    return f"{call.function}({', '.join(arguments)})"


def safe_call(operation: Any) -> SafeCall | None:
    """The safe_ddl call for an index or constraint added to an existing table.

    None (alembic writes its own operation) for what safe_ddl does not pass on: another
    schema, a deferrable constraint, dialect options.
    """
    options = {key: value for key, value in getattr(operation, "kw", {}).items() if value}
    if getattr(operation, "schema", None) or set(options) - {"ondelete", "onupdate"}:
        return None
    if isinstance(operation, ops.CreateIndexOp):
        columns = [getattr(column, "name", column) for column in operation.columns]
        if not all(isinstance(column, str) for column in columns):
            return None  # an expression index: left to alembic's own rendering
        return SafeCall(
            "create_index",
            operation.index_name,
            operation.table_name,
            columns,
            unique=operation.unique,
        )
    if isinstance(operation, ops.CreateForeignKeyOp):
        return SafeCall(
            "add_foreign_key",
            operation.constraint_name,
            operation.source_table,
            operation.referent_table,
            list(operation.local_cols),
            list(operation.remote_cols),
            **options,
        )
    if isinstance(operation, ops.CreateUniqueConstraintOp):
        return SafeCall(
            "add_unique_constraint",
            operation.constraint_name,
            operation.table_name,
            list(operation.columns),
        )
    return None


def take_out(operations: list[Any], wanted: Callable[[Any], bool]) -> list[Any]:
    """Remove the wanted operations and return them; those taken from a batch block come
    back in a batch block of their own, as SQLite needs them."""
    taken: list[Any] = []
    for operation in list(operations):
        if isinstance(operation, ops.ModifyTableOps):
            inner = take_out(operation.ops, wanted)
            if inner:
                taken.append(
                    ops.ModifyTableOps(operation.table_name, inner, schema=operation.schema)
                )
            if not operation.ops:
                operations.remove(operation)
        elif wanted(operation):
            operations.remove(operation)
            taken.append(operation)
    return taken


def flattened(operations: list[Any]) -> list[Any]:
    """The operations inside batch blocks, in order, without the blocks."""
    flat: list[Any] = []
    for operation in operations:
        is_block = isinstance(operation, ops.ModifyTableOps)
        flat += flattened(operation.ops) if is_block else [operation]
    return flat


def split_safe_additions(script: ops.MigrationScript) -> list[ops.MigrationScript]:
    """Indexes and constraints added to existing tables get a revision of their own.

    There they go through safe_ddl (CONCURRENTLY, NOT VALID then VALIDATE), which commits
    step by step and can be run again; kept in the revision that, say, adds their column,
    a failed index build would leave that column committed and the revision half done.
    """
    upgrade, downgrade = script.upgrade_ops, script.downgrade_ops
    new_tables = {o.table_name for o in upgrade.ops if isinstance(o, ops.CreateTableOp)}

    def on_existing_table(operation: Any) -> bool:
        table = getattr(operation, "table_name", getattr(operation, "source_table", None))
        return table not in new_tables and safe_call(operation) is not None

    additions = flattened(take_out(upgrade.ops, on_existing_table))
    if not additions:
        return [script]
    names = {getattr(o, "index_name", None) or o.constraint_name for o in additions}
    removals = take_out(
        downgrade.ops,
        lambda o: (
            isinstance(o, ops.DropIndexOp | ops.DropConstraintOp)
            and (getattr(o, "index_name", None) or getattr(o, "constraint_name", None)) in names
        ),
    )
    steps = [script] if not upgrade.is_empty() else []
    steps.append(
        ops.MigrationScript(
            rev_id=later_rev_id(script.rev_id) if steps else script.rev_id,
            message=f"{script.message} - indexes and constraints" if steps else script.message,
            upgrade_ops=ops.UpgradeOps([safe_call(o) for o in additions]),
            downgrade_ops=ops.DowngradeOps(removals),
            head=script.rev_id if steps else script.head,
            version_path=script.version_path,
        )
    )
    return steps


def plan_revisions(migration_context: Any, revision: Any, directives: list) -> None:
    """Write no file when autogenerate found nothing; split a stairway into three."""
    autogenerate = bool(getattr(config.cmd_opts, "autogenerate", False))
    if TEMPLATE_ARGS["migration_template"] == "stairway":
        directives[:] = stairway_scripts(directives[0], autogenerate)
    elif autogenerate and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No schema changes detected; no revision file written.")
    elif autogenerate and (Path(context.script.dir) / "alembic_env_safe_ddl.py").exists():
        # Only where the revisions can import safe_ddl: a bare drop-in env.py writes
        # alembic's plain operations.
        directives[:] = split_safe_additions(directives[0])


# --- A busy database: timeouts, retries, one migrator at a time --------------------------


def timeout_statements(dialect_name: str) -> list[str]:
    """SET statements bounding lock waits and statements for this migration session."""
    lock, statement = seconds_option("lock_timeout"), seconds_option("statement_timeout")
    if dialect_name == "postgresql":
        return [
            f"SET lock_timeout = {round(lock * 1000)}",
            f"SET statement_timeout = {round(statement * 1000)}",
        ]
    if dialect_name in ("mysql", "mariadb") and lock:
        # MySQL counts whole seconds, and 0 would mean "fail at once", not "no limit".
        return [f"SET SESSION lock_wait_timeout = {max(round(lock), 1)}"]
    return []


def is_lock_timeout(error: sa.exc.DBAPIError) -> bool:
    """PostgreSQL lock_not_available (55P03), MySQL lock wait timeout (1205)."""
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)  # psycopg2
    if code == "55P03":
        return True
    return bool(getattr(original, "args", None)) and original.args[0] == 1205


def lock_holders(connection: Connection, statement: str | None) -> str:
    """Who holds locks on the table a failed PostgreSQL statement needed, for the message."""
    table = re.search(r"(?:TABLE|ON|INTO|UPDATE|FROM)\s+(?:ONLY\s+)?([\w.\"]+)", statement or "")
    if not table or connection.dialect.name != "postgresql":
        return ""
    query = sa.text(
        "SELECT a.pid, l.mode, a.state, now() - a.xact_start AS age FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted "
        "AND l.relation = to_regclass(:table) AND a.pid <> pg_backend_pid()"
    )
    try:
        rows = connection.execute(query, {"table": table[1]}).all()
        connection.rollback()
    except sa.exc.DBAPIError:
        return ""
    holders = ", ".join(
        f"pid {row.pid} ({row.mode}, {row.state}, transaction open {row.age})" for row in rows
    )
    return f" on {table[1]}, held by {holders}" if holders else f" on {table[1]}"


def failure(connection: Connection, error: sa.exc.DBAPIError, tries: int) -> CommandError:
    """One line: what failed, where the database is now, and what to do."""
    statement = " ".join((error.statement or "").split())[:120]
    reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    heads = ", ".join(context.get_context().get_current_heads()) or "base"
    if is_lock_timeout(error):
        return CommandError(
            f"gave up after {tries} tries waiting for a lock{lock_holders(connection, statement)}"
            f" ({statement}); the database is at revision {heads}: run the upgrade again "
            "when that transaction has ended, or raise lock_timeout"
        )
    partial = ""
    if connection.dialect.name in ("mysql", "mariadb"):
        partial = (
            "; MySQL cannot roll back DDL, so statements of the failed revision that ran "
            "before this one stay applied: see 'A half-applied revision' in the README"
        )
    return CommandError(f"{reason} in: {statement}; the database is at revision {heads}{partial}")


class ChangesSinceRevision:
    """Counts schema and data changes since the last revision was recorded.

    A revision may be retried only if its failed try left nothing behind: always on
    PostgreSQL (the transaction rolled back), on MySQL only if nothing had run yet.
    """

    CHANGING = ("ALTER", "CREATE", "DROP", "RENAME", "INSERT", "UPDATE", "DELETE", "TRUNCATE")

    def __init__(self, connection: Connection) -> None:
        self.count = 0
        self.transactional = connection.dialect.name == "postgresql"
        sa.event.listen(connection, "after_cursor_execute", self.executed)

    def executed(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        """Count a statement that changed something other than alembic's own table."""
        words = statement.lstrip().upper()
        if words.startswith(self.CHANGING) and "ALEMBIC_VERSION" not in words:
            self.count += 1

    def revision_recorded(self, **kwargs: Any) -> None:
        """on_version_apply: a revision is done, the next one starts from nothing."""
        self.count = 0

    def retry_is_safe(self) -> bool:
        """Whether running the failed revision again cannot apply anything twice."""
        return self.transactional or self.count == 0


def run_with_retries(connection: Connection, changes: ChangesSinceRevision) -> None:
    """Run the migrations; try again, with backoff, when a revision times out on a lock."""
    tries = lock_retries() + 1
    for attempt in range(1, tries + 1):
        try:
            with context.begin_transaction():
                context.run_migrations()
            return
        except sa.exc.DBAPIError as error:
            if attempt == tries or not is_lock_timeout(error) or not changes.retry_is_safe():
                raise failure(connection, error, attempt) from None
            wait = 2 ** (attempt - 1)
            log.warning(
                "Lock timeout (%s); trying again in %d s (%d of %d)",
                " ".join((error.statement or "").split())[:80],
                wait,
                attempt + 1,
                tries,
            )
            time.sleep(wait)


def advisory_holder(holder: Connection, lock_name: str) -> str:
    """Describe the session holding the migration lock, for the waiting message."""
    if holder.dialect.name == "postgresql":
        row = holder.execute(
            sa.text(
                "SELECT a.pid, a.application_name, a.client_addr, now() - a.backend_start AS age "
                "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted "
                "AND l.locktype = 'advisory' AND l.classid = 0 AND l.objid = :key "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": ADVISORY_LOCK_KEY},
        ).first()
        return (
            f"pid {row.pid} ({row.application_name or 'no name'}, {row.client_addr or 'local'})"
            if row
            else "?"
        )
    row = holder.execute(
        sa.text(
            "SELECT id, user, host, time FROM information_schema.processlist "
            "WHERE id = IS_USED_LOCK(:name)"
        ),
        {"name": lock_name},
    ).first()
    return f"connection {row.id} ({row.user}@{row.host}, {row.time} s)" if row else "?"


def try_lock(holder: Connection, lock_name: str) -> bool:
    """One attempt at the migration lock; never blocks (see migration_lock)."""
    if holder.dialect.name == "postgresql":
        query = sa.text("SELECT pg_try_advisory_lock(:key)")
        return bool(holder.execute(query, {"key": ADVISORY_LOCK_KEY}).scalar())
    return holder.execute(sa.text("SELECT GET_LOCK(:name, 1)"), {"name": lock_name}).scalar() == 1


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """One migrator at a time: app instances often all run `upgrade head` at start-up.

    PostgreSQL: a session advisory lock, polled with pg_try_advisory_lock on a connection
    of its own in autocommit (a blocking pg_advisory_lock deadlocks or hangs against
    CREATE INDEX CONCURRENTLY). MySQL: GET_LOCK. SQLite has one writer anyway.
    """
    dialect = connection.dialect.name
    if (
        dialect not in ("postgresql", "mysql", "mariadb")
        or running_command() not in MIGRATING_COMMANDS
    ):
        yield
        return
    lock_name = f"alembic:{connection.engine.url.database}"[:64]
    deadline = time.monotonic() + seconds_option("migration_lock_timeout")
    with connection.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        announced = 0.0
        while not try_lock(holder, lock_name):
            now = time.monotonic()
            who = advisory_holder(holder, lock_name)
            if now > deadline:
                raise CommandError(
                    f"another migration still holds the migration lock ({who}); wait for it "
                    "to finish, or raise migration_lock_timeout"
                )
            if now - announced > 10:
                log.info("Waiting for the migration lock, held by %s", who)
                announced = now
            time.sleep(0.5)
        try:
            yield
        finally:
            unlock = (
                "SELECT pg_advisory_unlock(:key)"
                if dialect == "postgresql"
                else "SELECT RELEASE_LOCK(:name)"
            )
            holder.execute(sa.text(unlock), {"key": ADVISORY_LOCK_KEY, "name": lock_name})


# --- Running the migrations: alembic's usual offline and online entry points -------------


def configure_logging() -> None:
    """Use the ini file's logging sections, else alembic's usual console output."""
    if config.config_file_name and config.file_config.has_section("formatters"):
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    elif not logging.getLogger().handlers:
        logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s")
        logging.getLogger("alembic").setLevel(logging.INFO)
        # alembic 1.20 announces each autogenerate plugin it loads: noise in every check.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if is_true(context.get_x_argument(as_dictionary=True).get("verbose")):
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)


def configure_options(dialect_name: str, connection: Connection | None) -> dict[str, Any]:
    """The context.configure() options shared by offline and online runs."""
    return {
        "target_metadata": load_target_metadata() if needs_metadata() else None,
        "compare_type": True,
        "compare_server_default": True,
        "render_as_batch": dialect_name == "sqlite",
        "include_schemas": is_true(read_option("include_schemas", "ALEMBIC_INCLUDE_SCHEMAS")),
        "include_name": name_filter(connection),
        "include_object": include_object,
        "process_revision_directives": plan_revisions,
        "template_args": TEMPLATE_ARGS,
        "transaction_per_migration": True,
        # Read by alembic_env_safe_ddl.create_index() and backfill() through op.get_context().opts.
        "lock_timeout": seconds_option("lock_timeout"),
        "statement_timeout": seconds_option("statement_timeout"),
        "index_statement_timeout": seconds_option("index_statement_timeout"),
    }


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode: write the SQL instead of executing it.

    No connection is made, so nothing is reflected: review the output, then apply it
    with the database's own client.
    """
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_options(url.get_backend_name(), None),
    )
    # The reviewed script bounds its lock waits too, for the session that applies it.
    for statement in timeout_statements(url.get_backend_name()):
        context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection, own_connection: bool = True) -> None:
    """Run the migrations on one open connection.

    On a connection of its own, env.py bounds lock waits and statements, retries a
    revision that timed out on a lock, and lets one migrator run at a time. A connection
    handed over by the caller is used as it is: its session is the caller's.
    """
    changes = ChangesSinceRevision(connection)
    context.configure(
        connection=connection,
        on_version_apply=changes.revision_recorded,
        **configure_options(connection.dialect.name, connection),
    )
    if not own_connection:
        with context.begin_transaction():
            context.run_migrations()
        return
    for statement in timeout_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
    connection.commit()  # alembic must find no transaction open when it begins its own
    with migration_lock(connection):
        run_with_retries(connection, changes)


async def run_async_migrations(url: URL) -> None:
    """Run the migrations through an async driver (asyncpg, aiomysql, aiosqlite)."""
    engine = create_engine(url)
    try:
        connection = engine.connect()
        try:
            await connection.start()
        except (sa.exc.DBAPIError, OSError) as error:
            raise connection_error(url, error) from None
        try:
            await connection.run_sync(do_run_migrations)
        finally:
            await connection.close()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode, on a connection to the database.

    A connection handed over in config.attributes["connection"] (by tests or an
    application calling alembic.command) is used as it is.
    """
    given = config.attributes.get("connection")
    if given is not None:
        do_run_migrations(given, own_connection=False)
        return
    if not needs_database():
        # revision_environment runs env.py for `revision`, `merge` and `history` too; they
        # only need a migration context, not the real database: an in-memory one will do,
        # without announcing itself as the database.
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
        with sa.create_engine("sqlite://").connect() as connection:
            do_run_migrations(connection)
        return
    url = database_url()
    if url.get_dialect().is_async:
        asyncio.run(run_async_migrations(url))
        return
    engine = create_engine(url)
    try:
        connection = engine.connect()
    except (sa.exc.DBAPIError, OSError) as error:
        raise connection_error(url, error) from None
    with connection:
        do_run_migrations(connection)


configure_logging()
TEMPLATE_ARGS["migration_template"] = chosen_template()
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
