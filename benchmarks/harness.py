"""What the benchmarks share: arguments, tables of N rows, a migration's setting, a writer.

Importing it also puts the template's migrations folder on sys.path, so that the benchmarks
import alembic_env_backfill and alembic_env_safe_ddl as revisions do (they live beside
env.py, not in a package).
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

sys.path.insert(
    0, str(Path(__file__).resolve().parent.parent / "{{cookiecutter.project_slug}}" / "migrations")
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def arguments(description: str, **extra: int) -> argparse.Namespace:
    """--rows (1,000,000), --url (the local test server), and any extra whole numbers."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    for name, default in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return parser.parse_args()


def load_table(engine: sa.engine.Engine, table: str, columns: str, fill: str, rows: int) -> None:
    """A fresh `table (id SERIAL PRIMARY KEY, columns)` with `rows` rows, vacuumed."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        connection.exec_driver_sql(f"CREATE TABLE {table} (id SERIAL PRIMARY KEY, {columns})")
        connection.exec_driver_sql(
            f"INSERT INTO {table} {fill} FROM generate_series(1, %(rows)s) g", {"rows": rows}
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


def load_mysql_table(
    engine: sa.engine.Engine, table: str, columns: str, fill: str, rows: int
) -> None:
    """MySQL's and MariaDB's load_table: `table (id AUTO_INCREMENT PRIMARY KEY, columns)`,
    filled from the numbers 1..rows as `g`, analyzed."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        connection.exec_driver_sql(
            f"CREATE TABLE {table} (id INTEGER AUTO_INCREMENT PRIMARY KEY, {columns}) "
            "ENGINE=InnoDB"
        )
        if connection.dialect.is_mariadb:  # MariaDB's SEQUENCE engine: seq_1_to_N
            numbers = f"SELECT seq AS g FROM seq_1_to_{int(rows)}"
        else:
            connection.exec_driver_sql(f"SET SESSION cte_max_recursion_depth = {int(rows)}")
            numbers = (
                f"WITH RECURSIVE n (g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n "
                f"WHERE g < {int(rows)}) SELECT g FROM n"
            )
        connection.exec_driver_sql(f"INSERT INTO {table} {fill} FROM ({numbers}) AS numbers")
        connection.exec_driver_sql(f"ANALYZE TABLE {table}")


@contextmanager
def loaded_table(
    url: str, table: str, columns: str, fill: str, rows: int
) -> Iterator[sa.engine.Engine]:
    """An engine with a fresh loaded table, dropped afterwards however the body ends."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    load_table(engine, table, columns, fill, rows)
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        engine.dispose()


def report(**fields: object) -> None:
    """One result line: pattern=... rows=... and the benchmark's own fields, in order."""
    print(" ".join(f"{name}={value}" for name, value in fields.items()), flush=True)


@contextmanager
def migration(connection: sa.engine.Connection, **opts: Any) -> Iterator[None]:
    """A revision's setting, as env.py makes it: its own transaction, and op bound to it."""
    context = MigrationContext.configure(
        connection, opts={"transaction_per_migration": True, **opts}
    )
    with Operations.context(context), context.begin_transaction(_per_migration=True):
        yield


class Worker(threading.Thread):
    """A background connection that stops when told and keeps its error for the caller."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as error:  # handed to the main thread by running()
            self.error = error
        finally:
            self.ready.set()  # nobody waits forever for a worker that failed

    def work(self) -> None:
        raise NotImplementedError


class Writer(Worker):
    """Updates random rows of a table, each in its own transaction, timing the slowest."""

    def __init__(self, url: str, table: str, rows: int) -> None:
        super().__init__(url)
        self.table = table
        self.rows = rows
        self.worst = 0.0
        self.updates = 0

    def work(self) -> None:
        with self.engine.connect() as connection:
            while not self.stop.is_set():
                started = time.perf_counter()
                connection.exec_driver_sql(
                    f"UPDATE {self.table} SET touched = touched + 1 WHERE id = %(id)s",
                    {"id": random.randint(1, self.rows)},
                )
                connection.commit()
                self.worst = max(self.worst, time.perf_counter() - started)
                self.updates += 1


@contextmanager
def running(worker: Worker) -> Iterator[Worker]:
    """Start a worker; stop it, wait for it and close its connection however the body ends."""
    worker.start()
    try:
        yield worker
    finally:
        worker.stop.set()
        worker.join()
        worker.engine.dispose()
    if worker.error is not None:
        raise worker.error
