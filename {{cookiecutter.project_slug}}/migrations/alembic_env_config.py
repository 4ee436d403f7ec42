"""env.py's configuration and connection: options, the database URL, engines, logging.

Options come from the environment first, then from alembic's config (the [alembic]
section of alembic.ini or [tool.alembic] in pyproject.toml); env.py's docstring lists them.
It lives beside env.py; alembic's prepend_sys_path puts this folder on sys.path.
"""

from __future__ import annotations

import asyncio
import configparser
import logging
import os
import re
from collections.abc import Callable
from logging.config import fileConfig
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.engine import URL, Connection

log = logging.getLogger("alembic.env")

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

# env.py's do_run_migrations(connection, own_connection): own_connection is False for a
# connection that stays in its caller's session.
Run = Callable[[Connection, bool], None]

# Drivers for a URL that names none, when SQLAlchemy's default one is not installed.
FALLBACK_DRIVERS = {"postgresql": ("psycopg",), "mysql": ("pymysql",), "mariadb": ("pymysql",)}


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


class Settings:
    """env.py's options, read from the environment first, then from alembic's config."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def option(self, name: str, environment_variable: str | None = None) -> Any:
        """One option's raw value: the environment variable wins over the config."""
        if environment_variable and os.environ.get(environment_variable):
            return os.environ[environment_variable]
        try:
            return self.config.get_alembic_option(name)
        except configparser.Error:
            # The message would quote the value, and a URL's password with it.
            raise CommandError(
                f"{name} in {self.config.config_file_name} cannot be read: write each % as %%"
            ) from None

    def flag(self, name: str, default: bool = False) -> bool:
        """A yes/no option, with its ALEMBIC_NAME environment variable."""
        raw = self.option(name, f"ALEMBIC_{name.upper()}")
        return default if raw in (None, "") else is_true(raw)

    def names(self, name: str) -> list[str]:
        """A list option (commas or whitespace in ini), with its environment variable."""
        return option_list(self.option(name, f"ALEMBIC_{name.upper()}"))

    def seconds(self, name: str) -> float:
        """A duration option ("500ms", "3s", "10min", "2h"; a bare number is seconds; 0: off)."""
        raw = self.option(name, f"ALEMBIC_{name.upper()}")
        raw = str(TIMEOUT_DEFAULTS[name] if raw in (None, "") else raw).strip()
        parsed = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|min|h)?", raw)
        if not parsed:
            raise CommandError(
                f"{name} = {raw!r} is not a duration: write e.g. 500ms, 3s, 10min, 2h"
            )
        return float(parsed[1]) * DURATION_UNITS[parsed[2] or "s"]

    def lock_retries(self) -> int:
        """How many times a revision that timed out waiting for a lock is tried again."""
        raw = self.option("lock_retries", "ALEMBIC_LOCK_RETRIES")
        try:
            return DEFAULT_LOCK_RETRIES if raw in (None, "") else max(int(raw), 0)
        except ValueError:
            raise CommandError(f"lock_retries = {raw!r} is not a whole number") from None

    def database_url(self) -> URL:
        """The URL to migrate: $DATABASE_URL, else sqlalchemy.url, checked before use."""
        raw = self.option("sqlalchemy.url", "DATABASE_URL")
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

    def command(self) -> str | None:
        """The alembic subcommand run from the command line; None when called from code."""
        command = getattr(self.config.cmd_opts, "cmd", None)
        return getattr(command[0], "__name__", None) if command else None

    def is_autogenerating(self) -> bool:
        """`revision --autogenerate`: the one command that writes what it compares."""
        return bool(getattr(self.config.cmd_opts, "autogenerate", False))

    def needs_database(self) -> bool:
        """False for the commands that run env.py only because revision_environment is on."""
        command, options = self.command(), self.config.cmd_opts
        if command == "revision":
            return self.is_autogenerating()
        if command == "history":
            return bool(options.indicate_current) or "current" in (options.rev_range or "")
        return command != "merge"

    def needs_metadata(self) -> bool:
        """Only autogenerate compares with the models: applying revisions never imports them."""
        command = self.command()
        if command == "revision":
            return self.is_autogenerating()
        return command in ("check", None)  # None: called from code, perhaps to autogenerate


def redacted(url: URL) -> str:
    """Render a URL for messages: the password never leaves this process."""
    return url.render_as_string(hide_password=True)


def make_engine(url: URL) -> Any:
    """A sync or async engine, as the URL's driver requires.

    A URL naming no driver (postgresql://...) gets SQLAlchemy's default one; where that
    is not installed (SQLAlchemy 2.0 defaults to psycopg2 and mysqlclient), an installed
    driver of FALLBACK_DRIVERS is used instead, so the usual driverless URLs work.
    """
    try:
        return pool_free_engine(url)
    except ImportError as error:
        for driver in FALLBACK_DRIVERS.get(url.drivername, ()):
            try:
                engine = pool_free_engine(url.set(drivername=f"{url.drivername}+{driver}"))
            except ImportError:
                continue
            log.info("%s is not installed: using %s+%s", error.name, url.drivername, driver)
            return engine
        raise CommandError(
            f"the URL's driver needs the module '{error.name}', which is not installed: "
            "install it, or name an installed driver in the URL (dialect+driver://...)"
        ) from None


def pool_free_engine(url: URL) -> Any:
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
    return CommandError(f"cannot connect to {redacted(url)}: {reason}")


def run_on_handed_over(handed_over: Any, run: Run) -> None:
    """Run on what a caller put in alembic's config.attributes["connection"].

    A Connection is used as it is, in the caller's session. From an Engine (what
    pytest-alembic's documented alembic_engine fixture gives) env.py opens a connection of
    its own, as from DATABASE_URL, and closes it after. Anything else with connect(), such
    as a wrapper presenting the caller's connection as an engine, gives the connection to
    use as it is.
    """
    if isinstance(handed_over, Connection):
        run(handed_over, False)
    elif isinstance(handed_over, sa.engine.Engine) or hasattr(handed_over, "sync_engine"):
        run_on_engine(handed_over, run, made_here=False)
    elif callable(getattr(handed_over, "connect", None)):
        with handed_over.connect() as connection:
            run(connection, False)
    else:
        raise CommandError(
            f'config.attributes["connection"] is a {type(handed_over).__name__}: '
            "hand over a SQLAlchemy Connection or Engine"
        )


def run_on_engine(engine: Any, run: Run, made_here: bool) -> None:
    """Open a connection of env.py's own (async if the engine is), run, close it.

    The engine is disposed of only if env.py made it: a caller's engine stays theirs.
    """
    if hasattr(engine, "sync_engine"):  # an AsyncEngine (asyncpg, aiomysql, aiosqlite)
        asyncio.run(run_async(engine, run, made_here))
        return
    try:
        connection = engine.connect()
    except (sa.exc.DBAPIError, OSError) as error:
        raise connection_error(engine.url, error) from None
    try:
        with connection:
            run(connection, True)
    finally:
        if made_here:
            engine.dispose()


async def run_async(engine: Any, run: Run, made_here: bool) -> None:
    """Run through an async driver, on a connection of env.py's own."""
    try:
        connection = engine.connect()
        try:
            await connection.start()
        except (sa.exc.DBAPIError, OSError) as error:
            raise connection_error(engine.url, error) from None
        try:
            await connection.run_sync(run, True)
        finally:
            await connection.close()
    finally:
        if made_here:
            await engine.dispose()


def configure_logging(config: Config, verbose: bool) -> None:
    """Use the ini file's logging sections, else alembic's usual console output."""
    if config.config_file_name and config.file_config.has_section("formatters"):
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    elif not logging.getLogger().handlers:
        logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s")
        logging.getLogger("alembic").setLevel(logging.INFO)
        # alembic 1.20 announces each autogenerate plugin it loads: noise in every check.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if verbose:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
