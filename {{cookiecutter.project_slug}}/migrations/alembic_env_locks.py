"""A busy database: timeouts, retries after a lock timeout, one migrator at a time.

A DDL statement queued behind a long transaction blocks every later query on its table
until it gets its lock, so a migration's session gives up soon (lock_timeout) and the
revision is tried again later. Application instances often all run `upgrade head` at
start-up, so migrators take turns. It lives beside env.py, which runs the migrations
through run_with_retries() inside migration_lock(); alembic_env_backfill.py and
alembic_env_safe_ddl.py set their sessions' timeouts with timeout_statements().
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.util import CommandError
from sqlalchemy.engine import Connection

log = logging.getLogger("alembic.env")

# The session advisory lock every migrator of a PostgreSQL database takes ("alem").
ADVISORY_LOCK_KEY = 0x616C656D
# Commands that change the database, and so wait for one another (None: called from code).
MIGRATING_COMMANDS = {"upgrade", "downgrade", "stamp", None}
# MySQL's lock timeouts: metadata locks bound DDL, InnoDB row locks bound UPDATEs.
MYSQL_LOCK_TIMEOUTS = {"tables": "lock_wait_timeout", "rows": "innodb_lock_wait_timeout"}


def timeout_statements(
    dialect_name: str,
    lock_timeout: float | None,
    statement_timeout: float | None = None,
    waits_for: str = "tables",
) -> list[str]:
    """SET statements bounding a session's lock waits and statements (None: leave alone).

    The one place these are written: env.py's session, backfill's batch connection and
    the safe steps that lift and restore them all come here.
    """
    statements = []
    if dialect_name == "postgresql":
        limits = {"lock_timeout": lock_timeout, "statement_timeout": statement_timeout}
        for name, seconds in limits.items():
            if seconds is not None:
                statements.append(f"SET {name} = {round(seconds * 1000)}")
    elif dialect_name in ("mysql", "mariadb") and lock_timeout:
        # MySQL counts whole seconds, and 0 would mean "fail at once", not "no limit".
        variable = MYSQL_LOCK_TIMEOUTS[waits_for]
        statements.append(f"SET SESSION {variable} = {max(round(lock_timeout), 1)}")
    return statements


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


def migration_error(connection: Connection, error: sa.exc.DBAPIError, tries: int) -> CommandError:
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


def run_with_retries(connection: Connection, changes: ChangesSinceRevision, retries: int) -> None:
    """Run the migrations; try again, with backoff, when a revision times out on a lock."""
    tries = retries + 1
    for attempt in range(1, tries + 1):
        try:
            with context.begin_transaction():
                context.run_migrations()
            return
        except sa.exc.DBAPIError as error:
            if attempt == tries or not is_lock_timeout(error) or not changes.retry_is_safe():
                raise migration_error(connection, error, attempt) from None
            wait = 2 ** (attempt - 1)
            log.warning(
                "Lock timeout (%s); trying again in %d s (%d of %d)",
                " ".join((error.statement or "").split())[:80],
                wait,
                attempt + 1,
                tries,
            )
            time.sleep(wait)


def lock_owner(lock_connection: Connection, lock_name: str) -> str:
    """Describe the session holding the migration lock, for the waiting message."""
    if lock_connection.dialect.name == "postgresql":
        row = lock_connection.execute(
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
    row = lock_connection.execute(
        sa.text(
            "SELECT id, user, host, time FROM information_schema.processlist "
            "WHERE id = IS_USED_LOCK(:name)"
        ),
        {"name": lock_name},
    ).first()
    return f"connection {row.id} ({row.user}@{row.host}, {row.time} s)" if row else "?"


def try_lock(lock_connection: Connection, lock_name: str) -> bool:
    """One attempt at the migration lock; never blocks (see migration_lock)."""
    if lock_connection.dialect.name == "postgresql":
        query = sa.text("SELECT pg_try_advisory_lock(:key)")
        return bool(lock_connection.execute(query, {"key": ADVISORY_LOCK_KEY}).scalar())
    query = sa.text("SELECT GET_LOCK(:name, 1)")
    return lock_connection.execute(query, {"name": lock_name}).scalar() == 1


@contextmanager
def migration_lock(connection: Connection, command: str | None, timeout: float) -> Iterator[None]:
    """One migrator at a time: app instances often all run `upgrade head` at start-up.

    PostgreSQL: a session advisory lock, polled with pg_try_advisory_lock on a connection
    of its own in autocommit (a blocking pg_advisory_lock deadlocks or hangs against
    CREATE INDEX CONCURRENTLY). MySQL: GET_LOCK. SQLite has one writer anyway.
    """
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "mysql", "mariadb") or command not in MIGRATING_COMMANDS:
        yield
        return
    lock_name = f"alembic:{connection.engine.url.database}"[:64]
    deadline = time.monotonic() + timeout
    autocommit = connection.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    with autocommit as lock_connection:
        announced = 0.0
        while not try_lock(lock_connection, lock_name):
            now = time.monotonic()
            owner = lock_owner(lock_connection, lock_name)
            if now > deadline:
                raise CommandError(
                    f"another migration still holds the migration lock ({owner}); wait for it "
                    "to finish, or raise migration_lock_timeout"
                )
            if now - announced > 10:
                log.info("Waiting for the migration lock, held by %s", owner)
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
            lock_connection.execute(sa.text(unlock), {"key": ADVISORY_LOCK_KEY, "name": lock_name})
