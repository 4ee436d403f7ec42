"""Throwaway databases for the migration tests, and a comparable picture of a schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

# The tests' own engine (seeding, reflection, CREATE DATABASE) is synchronous.
SYNC_DRIVERS = {
    "asyncpg": "psycopg",
    "psycopg_async": "psycopg",
    "aiomysql": "pymysql",
    "asyncmy": "pymysql",
    "aiosqlite": "pysqlite",
}


def sync_url(url: URL) -> URL:
    """The same database through a synchronous driver: asyncpg -> psycopg, and so on."""
    backend, _, driver = url.drivername.partition("+")
    if driver in SYNC_DRIVERS:
        return url.set(drivername=f"{backend}+{SYNC_DRIVERS[driver]}")
    return url


def server_url() -> URL | None:
    """The server named by $TEST_DATABASE_URL, or None for SQLite (the default)."""
    raw = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not raw:
        return None
    url = sa.make_url(raw)
    return None if url.get_backend_name() == "sqlite" else url


def execute_autocommit(url: URL, statement: str) -> None:
    """Run one statement outside a transaction, as CREATE/DROP DATABASE need."""
    engine = sa.create_engine(
        sync_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    except sa.exc.OperationalError as error:
        shown = url.render_as_string(hide_password=True)
        pytest.fail(f"TEST_DATABASE_URL={shown}: {str(error.orig).strip()}", pytrace=False)
    finally:
        engine.dispose()


@contextmanager
def throwaway_database(directory: Path) -> Iterator[URL]:
    """An empty database for one test, dropped afterwards.

    SQLite gets a file in `directory`; the server of $TEST_DATABASE_URL gets a new database,
    created through the database that URL names.
    """
    server = server_url()
    if server is None:
        yield sa.make_url(f"sqlite:///{directory / 'test.db'}")
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    execute_autocommit(server, f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name)
    finally:
        force = " WITH (FORCE)" if server.get_backend_name() == "postgresql" else ""
        execute_autocommit(server, f"DROP DATABASE IF EXISTS {name}{force}")


def table_lines(inspector: sa.Inspector, table: str) -> set[str]:
    """One line per column, key, index and constraint of a table."""
    lines = {f"table {table}"}
    for column in inspector.get_columns(table):
        null = "NULL" if column["nullable"] else "NOT NULL"
        default = column.get("default")
        lines.add(f"column {table}.{column['name']} {column['type']!r} {null} default {default}")
    key = inspector.get_pk_constraint(table)
    lines.add(f"primary key {table} {key.get('name')} {key['constrained_columns']}")
    for index in inspector.get_indexes(table):
        columns = index.get("column_names") or index.get("expressions")
        unique = " unique" if index["unique"] else ""
        lines.add(f"index {table}.{index['name']} {columns}{unique}")
    for unique in inspector.get_unique_constraints(table):
        lines.add(f"unique {table}.{unique['name']} {unique['column_names']}")
    for foreign in inspector.get_foreign_keys(table):
        source = f"{table}.{foreign['name']} {foreign['constrained_columns']}"
        target = f"{foreign['referred_table']}{foreign['referred_columns']}"
        lines.add(f"foreign key {source} -> {target}")
    for check in inspector.get_check_constraints(table):
        lines.add(f"check {table}.{check['name']} {check['sqltext']}")
    return lines


def schema_lines(engine: Engine) -> set[str]:
    """Everything a downgrade must put back as it was, one comparable line per object."""
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        lines = {f"view {view}" for view in inspector.get_view_names()}
        for table in inspector.get_table_names():
            # alembic's own table, and the migration environment's applied-file checksums
            if table not in ("alembic_version", "alembic_revision_checksums"):
                lines |= table_lines(inspector, table)
        if connection.dialect.name == "postgresql":
            lines |= {f"enum {enum['name']} {enum['labels']}" for enum in inspector.get_enums()}
            lines |= {f"sequence {name}" for name in inspector.get_sequence_names()}
    return lines
