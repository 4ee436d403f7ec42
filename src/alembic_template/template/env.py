"""Alembic migration environment from alembic-template.

Nothing in this file needs editing: it is configured from alembic's config (the
``[alembic]`` section of alembic.ini or ``[tool.alembic]`` in pyproject.toml) and from
environment variables, which win over the config:

    option            environment variable        meaning
    sqlalchemy.url    DATABASE_URL                the database to migrate
    target_metadata   ALEMBIC_TARGET_METADATA     "package.module:attribute" of the MetaData
    exclude_tables    ALEMBIC_EXCLUDE_TABLES      more table patterns autogenerate ignores
    include_schemas   ALEMBIC_INCLUDE_SCHEMAS     "true": autogenerate looks at every schema

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
from logging.config import fileConfig
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic import context
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
    "topology",  # PostGIS topology, when installed into the public schema
    "layer",
    "_timescaledb_*",  # TimescaleDB catalogs and chunks
    "_hyper_*",
    "alembic_backfill_progress",  # backfill.py's resume points
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
    """Create a sync or async engine, as the URL's driver requires."""
    try:
        if url.get_dialect().is_async:
            # Imported here: SQLAlchemy's asyncio support needs greenlet, sync URLs do not.
            from sqlalchemy.ext.asyncio import create_async_engine

            return create_async_engine(url, poolclass=sa.pool.NullPool)
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    except ImportError as error:
        raise CommandError(
            f"the URL's driver needs the module '{error.name}', which is not installed: "
            "install it, or name an installed driver in the URL (dialect+driver://...)"
        ) from None


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


def partition_children(connection: Connection | None) -> set[str]:
    """PostgreSQL partitions reflect as ordinary tables; autogenerate would drop them."""
    if connection is None or connection.dialect.name != "postgresql":
        return set()
    query = sa.text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relispartition AND n.nspname = current_schema()"
    )
    return set(connection.scalars(query))


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
            return not matches(name or "", patterns) and name not in partitions()
        return True

    return include_name


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Skip model tables marked info={"skip_autogenerate": True} (views, foreign tables)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return not (isinstance(table, sa.Table) and table.info.get("skip_autogenerate"))


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


def stairway_scripts(script: ops.MigrationScript, autogenerate: bool) -> list[Any]:
    """Split one revision into three chained ones: expand, backfill, contract."""
    message = script.message or "stairway"
    columns = relax_new_not_null_columns(script) if autogenerate else columns_named_in(message)
    steps = [script]
    for _ in ("backfill", "contract"):
        steps.append(
            ops.MigrationScript(
                rev_id=rev_id(),
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


def plan_revisions(migration_context: Any, revision: Any, directives: list) -> None:
    """Write no file when autogenerate found nothing; split a stairway into three."""
    autogenerate = bool(getattr(config.cmd_opts, "autogenerate", False))
    if TEMPLATE_ARGS["migration_template"] == "stairway":
        directives[:] = stairway_scripts(directives[0], autogenerate)
    elif autogenerate and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No schema changes detected; no revision file written.")


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
        "target_metadata": load_target_metadata() if needs_database() else None,
        "compare_type": True,
        "compare_server_default": True,
        "render_as_batch": dialect_name == "sqlite",
        "include_schemas": is_true(read_option("include_schemas", "ALEMBIC_INCLUDE_SCHEMAS")),
        "include_name": name_filter(connection),
        "include_object": include_object,
        "process_revision_directives": plan_revisions,
        "template_args": TEMPLATE_ARGS,
        "transaction_per_migration": True,
    }


def connection_error(url: URL, error: Exception) -> CommandError:
    """Turn a failed connect into one line that names the server but not the password."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return CommandError(f"cannot connect to {shown(url)}: {reason}")


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
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on one open connection."""
    context.configure(
        connection=connection,
        **configure_options(connection.dialect.name, connection),
    )
    with context.begin_transaction():
        context.run_migrations()


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
        do_run_migrations(given)
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
