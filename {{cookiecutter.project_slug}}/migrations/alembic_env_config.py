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
from types import TracebackType
from typing import Any

import alembic
import sqlalchemy as sa
from alembic import context
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.util import CommandError
from alembic_env_flask import flask_database_url
from sqlalchemy.engine import URL, Connection, make_url

log = logging.getLogger("alembic.env")

# The oldest alembic this environment runs on: it reads options with
# Config.get_alembic_option and TOML booleans in [tool.alembic] (1.16.5), which an older
# alembic would fail on later, with a traceback. The alembic-template package has the same
# floor (project_alembic.py).
OLDEST_ALEMBIC = "1.16.5"


def release(version: str) -> tuple[int, ...]:
    """A release's number as a comparable tuple: 1.16.5 -> (1, 16, 5); 2.1.0b1 -> (2, 1, 0)."""
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def refuse_older_alembic() -> None:
    """One line, before anything else runs, where the installed alembic is too old."""
    if release(alembic.__version__) < release(OLDEST_ALEMBIC):
        raise CommandError(
            f"this env.py needs alembic {OLDEST_ALEMBIC} or newer, and alembic "
            f'{alembic.__version__} is installed: pip install "alembic>={OLDEST_ALEMBIC}" '
            f'"SQLAlchemy=={sa.__version__}" (naming your SQLAlchemy keeps it)'
        )


# At import: env.py imports this module (through its siblings) before it calls alembic.
refuse_older_alembic()

# Defaults for a busy service: a DDL statement queued behind a long transaction blocks
# every later query on its table, so it must give up soon and try again later.
TIMEOUT_DEFAULTS = {
    "lock_timeout": "500ms",
    "statement_timeout": "10min",
    "index_statement_timeout": "2h",
    "migration_lock_timeout": "10min",
    # Not a timeout: how far a replica may lag before backfill() waits (0: never waits).
    "max_replica_lag": "10s",
}
# 11 tries, 19 to 38 s of waits between them in all (alembic_env_locks.backoff_seconds()).
DEFAULT_LOCK_RETRIES = 10
DURATION_UNITS = {"ms": 0.001, "s": 1, "min": 60, "h": 3600}

# env.py's do_run_migrations(connection, own_connection): own_connection is False for a
# connection that stays in its caller's session.
Run = Callable[[Connection, bool], None]

# Drivers for a URL that names none, when SQLAlchemy's default one is not installed.
FALLBACK_DRIVERS = {"postgresql": ("psycopg",), "mysql": ("pymysql",), "mariadb": ("pymysql",)}

# What a connect can fail with: the server's refusal, the network, a password the driver
# cannot encode (PyMySQL sends passwords as latin-1).
CONNECT_ERRORS = (sa.exc.DBAPIError, OSError, UnicodeError)
# A refused connect's text when a connection limit is reached (PostgreSQL through psycopg).
TOO_MANY_CONNECTIONS = re.compile(
    r"too many (clients|connections)|remaining connection slots are reserved", re.IGNORECASE
)
# What a migration's connection raises once it has gone away (terminated, killed, closed),
# and what code using it afterwards raises: each ends in one line (migration_failure).
MIGRATION_ERRORS = (sa.exc.DBAPIError, sa.exc.PendingRollbackError, sa.exc.ResourceClosedError)
# The hint for a URL whose password (or user name) holds an unencoded special character.
PERCENT_ENCODE = (
    "percent-encode special characters in the user name and password "
    "(@ as %40, : as %3A, / as %2F, % as %25; urllib.parse.quote(password, safe=''))"
)


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
        """The URL to migrate: $DATABASE_URL, else the Flask app's under Flask-Migrate, else
        sqlalchemy.url; checked before use."""
        from_app = None if os.environ.get("DATABASE_URL") else flask_database_url()
        raw = from_app or self.option("sqlalchemy.url", "DATABASE_URL")
        if not raw or not str(raw).strip():
            raise CommandError(
                "no database URL: set DATABASE_URL or sqlalchemy.url in alembic's config"
            )
        source = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "sqlalchemy.url"
        source = "the Flask app's database URL" if from_app else source
        try:
            url = make_url(str(raw).strip())
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
        except ValueError:  # the port: no piece of the URL is shown, it may be the password's
            raise CommandError(
                f"{source} has a port that is not a number; if a password holds @ or :, "
                f"{PERCENT_ENCODE}"
            ) from None
        if "@" in (url.host or "") or (url.host and "@" in (url.database or "")):
            # An @ of the password ended the password early: the rest would be the host.
            raise CommandError(f"{source} has more than one unencoded @: {PERCENT_ENCODE}")
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
    # future=True: SQLAlchemy 2.0's behaviour on 1.4 too (Connection.commit(), no
    # autocommit); 2.x accepts it and has no other.
    return sa.create_engine(url, poolclass=sa.pool.NullPool, future=True)


def future_engine(engine: Any) -> Any:
    """A caller's engine in SQLAlchemy 2.0's style (Connection.commit(), no autocommit).

    SQLAlchemy 1.4's engines are legacy unless made with future=True (Flask-SQLAlchemy
    2.x makes them so): a future engine sharing the legacy one's pool stands in for it.
    """
    if not sa.__version__.startswith("1.") or getattr(engine, "_is_future", True):
        return engine
    from sqlalchemy.future import Engine  # SQLAlchemy 1.4 only

    return Engine._future_facade(engine)


def connection_error(url: URL, error: Exception) -> CommandError:
    """Turn a failed connect into one line that names the server but not the password."""
    if isinstance(error, UnicodeEncodeError):
        # Its message quotes the character it could not encode, and where it is.
        reason = (
            f"{url.get_driver_name()} sends the password as {error.encoding}, which cannot "
            "spell one of its characters: use a password of such characters, or a driver "
            "that sends UTF-8 (mysql+mysqldb://)"
            if url.password is not None and error.object == str(url.password)
            else f"{url.get_driver_name()} cannot encode a part of the URL as {error.encoding}"
        )
        return CommandError(f"cannot connect to {redacted(url)}: {reason}")
    if is_too_many_connections(error):
        reason = first_line(url, error).removeprefix("(").removesuffix(")")  # PyMySQL's (n, '')
        return CommandError(
            f"cannot connect to {redacted(url)}: the database refused a connection: too many "
            f"clients ({reason}); lower the number of concurrent migrators, or raise "
            "max_connections (or the user's connection limit)"
        )
    return CommandError(f"cannot connect to {redacted(url)}: {first_line(url, error)}")


def is_too_many_connections(error: Exception) -> bool:
    """The server's connection limit, its user's or its database's (PostgreSQL 53300;
    MySQL 1040, 1203, 1226); psycopg gives no code for a refused connect, only the text."""
    original = getattr(error, "orig", None) or error
    args = getattr(original, "args", None) or (None,)
    if getattr(original, "sqlstate", None) == "53300" or args[0] in (1040, 1203, 1226):
        return True
    return bool(TOO_MANY_CONNECTIONS.search(str(original)))


def first_line(url: URL, error: BaseException) -> str:
    """The first line of a database error's own message, without the password."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = lines[0] if lines else type(error).__name__
    return reason.replace(str(url.password), "***") if url.password else reason


def migration_failure(url: URL, error: BaseException, heads: str | None) -> CommandError:
    """One line for a migration that failed on its connection (terminated, killed).

    What went away first, in which revision file and statement, where the database is
    now, and what to do; the tracebacks of everything that failed after it are left out.
    """
    chain = [error]
    while chain[-1].__context__ is not None and len(chain) < 20:
        chain.append(chain[-1].__context__)
    first = next((e for e in reversed(chain) if isinstance(e, sa.exc.DBAPIError)), error)
    lost = any(
        getattr(e, "connection_invalidated", False)
        or isinstance(
            e, (sa.exc.InterfaceError, sa.exc.PendingRollbackError, sa.exc.ResourceClosedError)
        )
        for e in chain
    )
    what = "the database connection was closed or terminated" if lost else "the migration failed"
    reason = first_line(url, first)
    if reason.startswith("(") and reason.endswith(")"):  # PyMySQL's (2013, 'Lost ...')
        reason = reason[1:-1]
    where = next(filter(None, (revision_file(e.__traceback__) for e in reversed(chain))), "")
    statement = " ".join((getattr(first, "statement", None) or "").split())
    if statement:
        where += f", in: {statement[:100]}{'...' if len(statement) > 100 else ''}"
    now = f"the database is at revision {heads}" if heads else "its revision cannot be read"
    half_applied = ""
    if url.get_backend_name() in ("mysql", "mariadb"):
        half_applied = (
            "; MySQL cannot roll back DDL: if the revision had changed the schema, see "
            "'A half-applied revision' in the README"
        )
    command = Settings(context.config).command() or "migration"
    return CommandError(
        f"{what} ({reason}){where}; {now}: run the {command} again once the database "
        f"answers (a concurrent index or a backfill carries on where it stopped){half_applied}"
    )


def revision_file(trace: TracebackType | None) -> str:
    """' at FILE line N' for the innermost revision file in a traceback, else ''."""
    found = ""
    while trace is not None:
        names = trace.tb_frame.f_globals
        if "down_revision" in names and "upgrade" in names:
            path = trace.tb_frame.f_code.co_filename
            found = f" at {os.path.basename(path)} line {trace.tb_lineno}"
        trace = trace.tb_next
    return found


def current_heads(connection: Connection) -> str:
    """The revisions the database is at, read from alembic's version table."""
    opts = context.get_context().opts
    version_table = {
        name: opts[name] for name in ("version_table", "version_table_schema") if name in opts
    }
    migration_context = MigrationContext.configure(connection, opts=version_table)
    return ", ".join(migration_context.get_current_heads()) or "base"


def heads_after_failure(engine: Any) -> str | None:
    """current_heads() on a new connection; None when the database cannot tell."""
    try:
        with engine.connect() as connection:
            return current_heads(connection)
    except Exception:  # noqa: BLE001 - a message's detail: the failure itself is reported
        return None


async def heads_after_failure_async(engine: Any) -> str | None:
    """heads_after_failure() through an async driver."""
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(current_heads)
    except Exception:  # noqa: BLE001 - a message's detail: the failure itself is reported
        return None


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
        run_on_engine(future_engine(handed_over), run, made_here=False)
    elif callable(getattr(handed_over, "connect", None)):
        with handed_over.connect() as connection:
            run(connection, False)
    else:
        raise CommandError(
            f'config.attributes["connection"] is a {type(handed_over).__name__}: '
            "hand over a SQLAlchemy Connection or Engine"
        )


def running_loop() -> bool:
    """Whether this thread already runs an asyncio event loop (asyncio.run would refuse)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_on_engine(engine: Any, run: Run, made_here: bool) -> None:
    """Open a connection of env.py's own (async if the engine is), run, close it.

    The engine is disposed of only if env.py made it: a caller's engine stays theirs.
    """
    if hasattr(engine, "sync_engine"):  # an AsyncEngine (asyncpg, aiomysql, aiosqlite)
        if running_loop():
            raise CommandError(
                "alembic was called from a running event loop with an async engine: call it "
                "through `await connection.run_sync(...)` with the connection in "
                'config.attributes["connection"], or from a thread'
            )
        asyncio.run(run_async(engine, run, made_here))
        return
    try:
        connection = engine.connect()
    except CONNECT_ERRORS as error:
        raise connection_error(engine.url, error) from None
    try:
        with connection:
            run(connection, True)
    except MIGRATION_ERRORS as error:
        raise migration_failure(engine.url, error, heads_after_failure(engine)) from None
    finally:
        if made_here:
            engine.dispose()


async def run_async(engine: Any, run: Run, made_here: bool) -> None:
    """Run through an async driver, on a connection of env.py's own."""
    try:
        connection = engine.connect()
        try:
            await connection.start()
        except CONNECT_ERRORS as error:
            raise connection_error(engine.url, error) from None
        try:
            await connection.run_sync(run, True)
        except MIGRATION_ERRORS as error:
            heads = await heads_after_failure_async(engine)
            raise migration_failure(engine.url, error, heads) from None
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
