"""The stairway's contract step against a plain SET NOT NULL, with a writer on the table.

    python3 tasks.py bench not_null [--rows 1000000] [--url postgresql+psycopg://...]

A writer updates random rows of a --rows table, one short transaction after another, while
the column is made NOT NULL: first with a plain ALTER TABLE ... SET NOT NULL (a full scan
under ACCESS EXCLUSIVE), then with safe_ddl.set_not_null (CHECK NOT VALID, VALIDATE, SET
NOT NULL, drop the check). One line each:

    pattern=<name> rows=<n> seconds=<s> writer_worst_stall_ms=<t> writer_updates=<k>
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src/alembic_template/template"))
from safe_ddl import set_not_null  # beside env.py, not in a package: hence the path above


class Writer(threading.Thread):
    """Updates random rows, each in its own transaction, timing the slowest."""

    def __init__(self, url: str, rows: int) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.rows = rows
        self.stop = threading.Event()
        self.worst = 0.0
        self.updates = 0

    def run(self) -> None:
        with self.engine.connect() as connection:
            while not self.stop.is_set():
                started = time.perf_counter()
                connection.exec_driver_sql(
                    "UPDATE bench_users SET touched = touched + 1 WHERE id = %(id)s",
                    {"id": random.randint(1, self.rows)},
                )
                connection.commit()
                self.worst = max(self.worst, time.perf_counter() - started)
                self.updates += 1


def create_table(engine: sa.engine.Engine, rows: int) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS bench_users")
        connection.exec_driver_sql(
            "CREATE TABLE bench_users (id SERIAL PRIMARY KEY, phone VARCHAR(20),"
            " touched INTEGER NOT NULL DEFAULT 0)"
        )
        connection.exec_driver_sql(
            "INSERT INTO bench_users (phone) SELECT 'n' || g FROM generate_series(1, %(rows)s) g",
            {"rows": rows},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE bench_users")


def plain(connection: sa.engine.Connection) -> None:
    """What autogenerate writes: one ALTER in the migration's transaction."""
    with connection.begin():
        connection.exec_driver_sql("ALTER TABLE bench_users ALTER COLUMN phone SET NOT NULL")


def contract_step(connection: sa.engine.Connection) -> None:
    """The stairway template's contract step, as alembic runs it."""
    context = MigrationContext.configure(connection, opts={"transaction_per_migration": True})
    with Operations.context(context), context.begin_transaction(_per_migration=True):
        set_not_null("bench_users", "phone")


def measure(url: str, name: str, step: Callable[[sa.engine.Connection], None], rows: int) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    create_table(engine, rows)
    writer = Writer(url, rows)
    writer.start()
    time.sleep(0.5)  # the writer's steady state, before the step
    with engine.connect() as connection:
        started = time.perf_counter()
        step(connection)
        seconds = time.perf_counter() - started
    time.sleep(0.2)
    writer.stop.set()
    writer.join()
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE bench_users")
    print(
        f"pattern={name} rows={rows} seconds={seconds:.2f} "
        f"writer_worst_stall_ms={writer.worst * 1000:.0f} writer_updates={writer.updates}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    options = parser.parse_args()
    measure(options.url, "plain_set_not_null", plain, options.rows)
    measure(options.url, "stairway_contract", contract_step, options.rows)


if __name__ == "__main__":
    main()
