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
import random
import re
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import context
from alembic.util import CommandError
from sqlalchemy.engine import Connection

log = logging.getLogger("alembic.env")

# The session advisory lock every migrator of a PostgreSQL database takes ("alem").
ADVISORY_LOCK_KEY = 0x616C656D
# Commands that change the database, and so wait for one another (None: called from code).
MIGRATING_COMMANDS = {"upgrade", "downgrade", "stamp", None}
# alembic's and the migration environment's own tables: writing them changes nothing of
# the application's.
BOOKKEEPING = ("ALEMBIC_VERSION", "ALEMBIC_REVISION_CHECKSUMS", "ALEMBIC_BACKFILL_PROGRESS")
# MySQL's lock timeouts: metadata locks bound DDL, InnoDB row locks bound UPDATEs.
MYSQL_LOCK_TIMEOUTS = {"tables": "lock_wait_timeout", "rows": "innodb_lock_wait_timeout"}
# The waits between tries of a revision that timed out on a lock (backoff_seconds()).
BACKOFF_FIRST_S = 0.5
BACKOFF_CAP_S = 5.0
# How often a waiting migrator asks for the migration lock.
LOCK_POLL_S = 0.5

T = TypeVar("T")


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
    """Who holds, or may hold, the lock the failed statement needed, for the message.

    PostgreSQL names the sessions holding locks on the table; MySQL cannot tell which
    transaction holds a table's metadata lock, so it names the open ones.
    """
    table = re.search(r"(?:TABLE|ON|INTO|UPDATE|FROM)\s+(?:ONLY\s+)?([\w.\"`]+)", statement or "")
    if not table:
        return ""
    name = table[1].strip("`")
    try:
        if connection.dialect.name == "postgresql":
            rows = connection.execute(POSTGRESQL_HOLDERS, {"table": name}).all()
            holders = [
                f"pid {r.pid} ({r.mode}, {r.state}, transaction open {r.age})" for r in rows
            ]
            what = "held by"
        elif connection.dialect.name in ("mysql", "mariadb"):
            rows = connection.execute(MYSQL_OPEN_TRANSACTIONS).all()
            holders = [f"connection {r.id} ({r.who}, transaction open {r.age} s)" for r in rows]
            what = "while these transactions were open:"
        else:
            return ""
        connection.rollback()
    except sa.exc.DBAPIError:
        return ""
    return f" on {name}, {what} {', '.join(holders)}" if holders else f" on {name}"


POSTGRESQL_HOLDERS = sa.text(
    "SELECT a.pid, l.mode, a.state, now() - a.xact_start AS age FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted "
    "AND l.relation = to_regclass(:table) AND a.pid <> pg_backend_pid()"
)
MYSQL_OPEN_TRANSACTIONS = sa.text(
    "SELECT t.trx_mysql_thread_id AS id, concat(p.user, '@', p.host) AS who, "
    "timestampdiff(SECOND, t.trx_started, now()) AS age FROM information_schema.innodb_trx t "
    "LEFT JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
    "WHERE t.trx_mysql_thread_id <> connection_id()"
)


def migration_error(
    connection: Connection, error: sa.exc.DBAPIError, tries: int, changes: ChangesSinceRevision
) -> CommandError:
    """One line: what failed, where the database is now, and what to do."""
    statement = " ".join((error.statement or "").split())[:120]
    reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    heads = current_heads()
    holders = lock_holders(connection, statement) if is_lock_timeout(error) else ""
    applied = changes.applied()
    if applied:
        failed = next_revision(heads)
        ran = "; ".join(applied[:3]) + (f" and {len(applied) - 3} more" if applied[3:] else "")
        why = (
            "a step of it that commits on its own committed what ran before"
            if changes.transactional
            else "MySQL cannot roll back DDL"
        )
        return CommandError(
            f"{reason}{holders} in: {statement}; revision {failed} is half-applied: {why}, "
            f"and these of its statements stay applied: {ran} (all of them: alembic upgrade "
            f"{heads}:{failed} --sql); the database is at revision {heads}: see "
            "'A half-applied revision' in the README"
        )
    if is_lock_timeout(error):
        return CommandError(
            f"gave up after {tries} tries waiting for a lock{holders} ({statement}); the "
            f"database is at revision {heads}: run the upgrade again when that transaction "
            "has ended, or raise lock_timeout"
        )
    return CommandError(f"{reason} in: {statement}; the database is at revision {heads}")


def current_heads() -> str:
    """The revisions the database is at, for a message; the connection may be gone."""
    try:
        return ", ".join(context.get_context().get_current_heads()) or "base"
    except sa.exc.SQLAlchemyError:
        return "unknown (the connection was lost: alembic current tells)"


def next_revision(heads: str) -> str:
    """The revision after the database's (the one that failed), or "the next revision"."""
    script = context.script
    try:
        current = [script.get_revision(head) for head in heads.split(", ")]
        following = (
            {child for rev in current for child in rev.nextrev}
            if heads != "base"
            else set(script.get_bases())
        )
    except Exception:  # an unknown head: the message still helps without the id
        return "the next revision"
    return following.pop() if len(following) == 1 else "the next revision"


class ChangesSinceRevision:
    """The schema and data changes made since the last revision was recorded.

    A revision may be retried only if its failed try left nothing behind: on PostgreSQL
    the transaction rolls back, unless a step that commits on its own (a concurrent index,
    a backfill) committed what ran before it; on MySQL DDL is never rolled back. What
    stays applied is named in the failure message.
    """

    CHANGING = ("ALTER", "CREATE", "DROP", "RENAME", "INSERT", "UPDATE", "DELETE", "TRUNCATE")

    def __init__(self, connection: Connection) -> None:
        self.statements: list[str] = []
        self.committed: list[str] = []  # of those, what a commit midway made permanent
        self.transactional = connection.dialect.name == "postgresql"
        sa.event.listen(connection, "after_cursor_execute", self.executed)
        sa.event.listen(connection, "commit", self.commit)

    def executed(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        """Note a statement that changed something other than the bookkeeping tables."""
        words = statement.lstrip().upper()
        if words.startswith(self.CHANGING) and not any(t in words for t in BOOKKEEPING):
            self.statements.append(" ".join(statement.split())[:80])

    def stop(self, connection: Connection) -> None:
        """Stop listening: a caller's connection outlives the command."""
        sa.event.remove(connection, "after_cursor_execute", self.executed)
        sa.event.remove(connection, "commit", self.commit)

    def commit(self, conn: Any) -> None:
        """A commit before the revision is recorded keeps what ran so far."""
        self.committed = list(self.statements)

    def revision_recorded(self, **kwargs: Any) -> None:
        """on_version_apply: a revision is done, the next one starts from nothing."""
        self.statements, self.committed = [], []

    def applied(self) -> list[str]:
        """The failed revision's statements that stay applied."""
        return self.committed if self.transactional else self.statements

    def retry_is_safe(self) -> bool:
        """Whether running the failed revision again cannot apply anything twice."""
        return not self.applied()


def backoff_seconds(failed_tries: int) -> float:
    """The wait after a revision's n-th lock timeout: doubling, capped, with jitter.

    The ceiling doubles from BACKOFF_FIRST_S up to BACKOFF_CAP_S; a random part of up to
    half of it is taken off, so that migrators retrying against the same busy table do not
    come back in step. Between tries the table's writers run freely.
    """
    ceiling = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** (failed_tries - 1))
    return ceiling * random.uniform(0.5, 1.0)


def run_with_retries(connection: Connection, changes: ChangesSinceRevision, retries: int) -> None:
    """Run the migrations; try again, with backoff, when a revision times out on a lock."""
    tries = retries + 1
    for attempt in range(1, tries + 1):
        try:
            with context.begin_transaction():
                context.run_migrations()
            return
        except sa.exc.DBAPIError as error:
            if error.connection_invalidated:
                raise  # the connection is gone: run_on_engine says so in one line
            if attempt == tries or not is_lock_timeout(error) or not changes.retry_is_safe():
                raise migration_error(connection, error, attempt, changes) from None
            wait = backoff_seconds(attempt)
            log.warning(
                "Lock timeout (%s); trying again in %.1f s (%d of %d)",
                " ".join((error.statement or "").split())[:80],
                wait,
                attempt + 1,
                tries,
            )
            time.sleep(wait)


def lock_owner(connection: Connection, lock_name: str) -> str:
    """Describe the session holding the migration lock, for the waiting message."""
    if connection.dialect.name == "postgresql":
        row = connection.execute(
            sa.text(
                "SELECT a.pid, a.application_name, a.client_addr, now() - a.backend_start AS age "
                "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted "
                "AND l.locktype = 'advisory' AND l.classid::bigint = :classid "
                "AND l.objid::bigint = :objid "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"classid": advisory_key(lock_name) >> 32 & 0xFFFFFFFF, "objid": ADVISORY_LOCK_KEY},
        ).first()
        return (
            f"pid {row.pid} ({row.application_name or 'no name'}, {row.client_addr or 'local'})"
            if row
            else "?"
        )
    row = connection.execute(
        sa.text(
            "SELECT id, user, host, time FROM information_schema.processlist "
            "WHERE id = IS_USED_LOCK(:name)"
        ),
        {"name": lock_name},
    ).first()
    return f"connection {row.id} ({row.user}@{row.host}, {row.time} s)" if row else "?"


def advisory_key(lock_name: str) -> int:
    """PostgreSQL's advisory lock key for a lock name: ADVISORY_LOCK_KEY, with a version
    table schema's CRC in the upper half (a signed bigint, as PostgreSQL takes it)."""
    schema = lock_name.partition(".")[2]
    key = (zlib.crc32(schema.encode()) if schema else 0) << 32 | ADVISORY_LOCK_KEY
    return key - (1 << 64) if key >= 1 << 63 else key


def try_lock(connection: Connection, lock_name: str) -> bool:
    """One attempt at the migration lock; never blocks for long (see migration_lock)."""
    if connection.dialect.name == "postgresql":
        query = sa.text("SELECT pg_try_advisory_lock(:key)")
        return bool(connection.execute(query, {"key": advisory_key(lock_name)}).scalar())
    query = sa.text("SELECT GET_LOCK(:name, 1)")
    return connection.execute(query, {"name": lock_name}).scalar() == 1


def in_a_transaction_of_its_own(connection: Connection, read: Callable[..., T], *args: Any) -> T:
    """Run one short read and commit, so that a waiting migrator is idle in between.

    An open transaction, even an idle one, would hold up a CREATE INDEX CONCURRENTLY of
    the migrator holding the lock.
    """
    with connection.begin():
        return read(connection, *args)


def wait_for_lock(connection: Connection, lock_name: str, timeout: float) -> None:
    """Poll for the migration lock until it is ours, saying whom we wait for."""
    deadline = time.monotonic() + timeout
    announced = 0.0
    while not in_a_transaction_of_its_own(connection, try_lock, lock_name):
        now = time.monotonic()
        if now > deadline:
            owner = in_a_transaction_of_its_own(connection, lock_owner, lock_name)
            raise CommandError(
                f"another migration still holds the migration lock ({owner}); wait for it "
                "to finish, or raise migration_lock_timeout"
            )
        if now - announced > 10:
            owner = in_a_transaction_of_its_own(connection, lock_owner, lock_name)
            log.info("Waiting for the migration lock, held by %s", owner)
            announced = now
        time.sleep(LOCK_POLL_S)


def release_lock(connection: Connection, lock_name: str) -> None:
    """Give the migration lock back; a connection that is gone took it with it."""
    unlock = (
        "SELECT pg_advisory_unlock(:key)"
        if connection.dialect.name == "postgresql"
        else "SELECT RELEASE_LOCK(:name)"
    )
    with suppress(sa.exc.SQLAlchemyError):
        if connection.in_transaction():  # what a failed revision left: it is over
            connection.rollback()
        with connection.begin():
            key = advisory_key(lock_name)
            connection.execute(sa.text(unlock), {"key": key, "name": lock_name})


@contextmanager
def migration_lock(connection: Connection, command: str | None, timeout: float) -> Iterator[None]:
    """One migrator at a time: app instances often all run `upgrade head` at start-up.

    The lock is the session's, taken on the migration's own connection: a migrator, waiting
    or migrating, holds that one connection, so a deploy of many instances does not run
    the server out of connections. PostgreSQL: a session advisory lock, polled with
    pg_try_advisory_lock (a blocking pg_advisory_lock deadlocks or hangs against CREATE
    INDEX CONCURRENTLY); it outlives commits and rollbacks, so revisions, their retries
    and their autocommit blocks run with it held. MySQL: GET_LOCK, also the session's.
    SQLite has one writer anyway.
    """
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "mysql", "mariadb") or command not in MIGRATING_COMMANDS:
        yield
        return
    # One lock per version table: a tenant's (alembic_env_tenants.py) is its own.
    schema = context.get_context().opts.get("version_table_schema")
    lock_name = f"alembic:{connection.engine.url.database}{f'.{schema}' if schema else ''}"[:64]
    if connection.in_transaction():  # the session's settings: polls run one by one
        connection.commit()
    wait_for_lock(connection, lock_name, timeout)
    try:
        yield
    finally:
        release_lock(connection, lock_name)
