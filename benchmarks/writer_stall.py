"""How long a concurrent writer stalls: index builds, and DDL queued behind a long transaction.

    python3 tasks.py bench writer_stall [--rows 1000000] [--url postgresql+psycopg://...]

A writer updates random rows of a fresh --rows table, one UPDATE and one commit after
another, while a migration runs one step through alembic's MigrationContext/Operations:

    plain_create_index        op.create_index() in the migration's transaction, from a
                              stock session (no timeouts): CREATE INDEX holds a SHARE lock,
                              which blocks writes, for the whole build
    template_create_index     alembic_env_safe_ddl.create_index() from a session set up as
                              env.py sets it: CREATE INDEX CONCURRENTLY in an autocommit
                              block
    queued_ddl_no_timeouts    a long transaction holds ACCESS SHARE on the table (one
                              SELECT, then 5 s idle); the migration's ADD COLUMN queues for
                              ACCESS EXCLUSIVE with no lock_timeout, and every later query
                              on the table queues behind it, the writer's too
    queued_ddl_old_defaults   the same, from a session set up with the template's former
                              defaults: lock_timeout 3 s, tried again after 1, 2, 4 s
    queued_ddl_with_timeouts  the same, from a session set up as env.py sets it today
                              (lock_timeout 500ms; lock_retries 10, waits doubling from
                              0.5 s to at most 5 s, with jitter: backoff_seconds())

A try that times out on the lock rolls back, and the step is tried again after the wait,
as env.py's run_with_retries() does; each try stalls the writer by at most lock_timeout,
and between tries it runs freely. One line each:

    pattern=<name> rows=<n> seconds=<s> writer_worst_stall_ms=<t> writer_updates=<k>
        lock_timeout=<none|3s|500ms> attempts=<tries>
        migration_outcome=<succeeded|gave_up_lock_timeout>

seconds is the migration step's duration, its tries and waits included; the writer's
worst stall is its slowest UPDATE-and-commit from just before the step to just after it.
MariaDB/MySQL's rows follow, from $TEST_MYSQL_URL or the local server (see
writer_stall_mysql.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic import op
from harness import Worker, Writer, arguments, loaded_table, migration, report, running

# isort: split
# The helper revisions use, found through the path harness set.
from alembic.config import Config
from alembic_env_config import Settings
from alembic_env_locks import backoff_seconds, is_lock_timeout, timeout_statements
from alembic_env_safe_ddl import create_index
from writer_stall_mysql import measure_all as measure_mysql
from writer_stall_mysql import mysql_url

TABLE = "bench_writer_stall"
INDEX = "ix_bench_writer_stall_email"
LONG_TRANSACTION_S = 5.0

# env.py's defaults, read as env.py reads them (Settings, environment variables included)
# and turned into the SET statements its session runs.
DEFAULTS = Settings(Config())
LOCK_TIMEOUT = DEFAULTS.seconds("lock_timeout")
TEMPLATE_SESSION = tuple(
    timeout_statements("postgresql", LOCK_TIMEOUT, DEFAULTS.seconds("statement_timeout"))
)
TEMPLATE_OPTS = {
    name: DEFAULTS.seconds(name)
    for name in ("lock_timeout", "statement_timeout", "index_statement_timeout")
}
# The template's defaults before issue 14: lock_timeout 3 s, 3 retries after 1, 2, 4 s.
OLD_SESSION = tuple(timeout_statements("postgresql", 3.0, DEFAULTS.seconds("statement_timeout")))
OLD_OPTS = {**TEMPLATE_OPTS, "lock_timeout": 3.0}
# A stock env.py sets nothing and the server's defaults are 0 (off); said explicitly, so
# that a server configured otherwise does not change the comparison.
STOCK_SESSION = ("SET lock_timeout = 0", "SET statement_timeout = 0")


class LongTransaction(Worker):
    """A report's transaction: one SELECT, then idle, keeping its ACCESS SHARE lock."""

    def work(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT count(*) FROM {TABLE}")
            self.ready.set()
            self.stop.wait(LONG_TRANSACTION_S)
            connection.rollback()


@dataclass(frozen=True)
class Scenario:
    name: str
    step: Callable[[], None]  # runs with alembic's op bound to the migration
    session: tuple[str, ...]  # SET statements before the migration, as env.py issues them
    opts: dict[str, Any] = field(default_factory=dict)  # for MigrationContext.configure
    long_transaction: bool = False
    lock_timeout: str = "none"  # for the report
    retries: int = 0  # tries after the first, when one times out on a lock
    backoff: Callable[[int], float] = backoff_seconds  # the wait after the n-th timeout


def migrate(engine: sa.engine.Engine, scenario: Scenario) -> tuple[str, int]:
    """Run the step as env.py runs a revision: session settings, then one transaction,
    tried again after a wait while it times out on a lock. Returns the outcome and tries."""
    with engine.connect() as connection:
        for statement in scenario.session:
            connection.exec_driver_sql(statement)
        connection.commit()  # alembic must find no transaction open when it begins its own
        for attempt in range(1, scenario.retries + 2):
            try:
                with migration(connection, **scenario.opts):
                    scenario.step()
                return "succeeded", attempt
            except sa.exc.OperationalError as error:
                if not is_lock_timeout(error):
                    raise
            if attempt <= scenario.retries:
                time.sleep(scenario.backoff(attempt))
    return "gave_up_lock_timeout", attempt


def measure(url: str, scenario: Scenario, rows: int) -> None:
    columns = "email TEXT NOT NULL, touched INTEGER NOT NULL DEFAULT 0"
    fill = "(email) SELECT 'user' || g || '@example.com'"
    with (
        loaded_table(url, TABLE, columns, fill, rows) as engine,
        running(Writer(url, TABLE, rows)) as writer,
        ExitStack() as holders,
    ):
        time.sleep(0.5)  # the writer's steady state, before the step
        if scenario.long_transaction:
            holder = holders.enter_context(running(LongTransaction(url)))
            holder.ready.wait()
            if holder.error is not None:
                raise holder.error
        started = time.perf_counter()
        outcome, attempts = migrate(engine, scenario)
        seconds = time.perf_counter() - started
        time.sleep(0.2)
    report(
        pattern=scenario.name,
        rows=rows,
        seconds=f"{seconds:.2f}",
        writer_worst_stall_ms=f"{writer.worst * 1000:.0f}",
        writer_updates=writer.updates,
        lock_timeout=scenario.lock_timeout,
        attempts=attempts,
        migration_outcome=outcome,
    )


def add_column() -> None:
    """The step queued behind the long transaction: ADD COLUMN needs ACCESS EXCLUSIVE."""
    op.add_column(TABLE, sa.Column("note", sa.Text()))


TEMPLATE = {
    "session": TEMPLATE_SESSION,
    "opts": TEMPLATE_OPTS,
    "lock_timeout": f"{LOCK_TIMEOUT * 1000:.0f}ms",
    "retries": DEFAULTS.lock_retries(),
}
SCENARIOS = (
    Scenario(
        "plain_create_index", lambda: op.create_index(INDEX, TABLE, ["email"]), STOCK_SESSION
    ),
    Scenario("template_create_index", lambda: create_index(INDEX, TABLE, ["email"]), **TEMPLATE),
    Scenario("queued_ddl_no_timeouts", add_column, STOCK_SESSION, long_transaction=True),
    Scenario(
        "queued_ddl_old_defaults",
        add_column,
        OLD_SESSION,
        OLD_OPTS,
        long_transaction=True,
        lock_timeout="3000ms",
        retries=3,
        backoff=lambda failed_tries: 2 ** (failed_tries - 1),
    ),
    Scenario("queued_ddl_with_timeouts", add_column, long_transaction=True, **TEMPLATE),
)


def main() -> None:
    options = arguments(__doc__)
    for scenario in SCENARIOS:
        measure(options.url, scenario, options.rows)
    # MariaDB/MySQL's rows: a table copy against online DDL (writer_stall_mysql.py).
    measure_mysql(mysql_url(options.url), options.rows)


if __name__ == "__main__":
    main()
