"""Throwaway databases for the migration tests, and a comparable picture of a schema."""

from __future__ import annotations

import os
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.engine.reflection import Inspector

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
    url = make_url(raw)
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
        yield make_url(f"sqlite:///{directory / 'test.db'}")
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    execute_autocommit(server, f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name)
    finally:
        force = " WITH (FORCE)" if server.get_backend_name() == "postgresql" else ""
        execute_autocommit(server, f"DROP DATABASE IF EXISTS {name}{force}")


# Names a database makes up for an object created without one. They may differ after a
# downgrade and upgrade that recreate the object, so such objects compare by what they are.
POSTGRESQL_MADE_UP = re.compile(r".*_(pkey|key|fkey|check|excl|idx|seq)\d*")
MYSQL_MADE_UP = re.compile(r".*_(ibfk|chk)_\d+|CONSTRAINT_\d+")
SEQUENCE_DEFAULT = re.compile(r"nextval\('(?P<name>[^']+)'::regclass\)")
# What stands in for a made-up name in a schema line.
MADE_UP = "*"


def made_up(dialect: str, table: str, name: str | None, columns: list[str] | None = None) -> bool:
    """True for a name the database chose itself, as it does for an unnamed object.

    PostgreSQL: <table>_<columns>_pkey/_key/_fkey/_check/_idx/_seq, with a number on a
    clash. MySQL: <table>_ibfk_N and <table>_chk_N (MariaDB: CONSTRAINT_N), and an index
    named after its first column (email, email_2). SQLite: sqlite_autoindex_*, or none.
    """
    if name is None:
        return True
    if dialect == "postgresql":
        return name.startswith(table[:30]) and bool(POSTGRESQL_MADE_UP.fullmatch(name))
    if dialect == "mysql":
        first = re.escape(columns[0]) if columns else None
        after_column = bool(first) and re.fullmatch(rf"{first}(_\d+)?", name) is not None
        return after_column or bool(MYSQL_MADE_UP.fullmatch(name))
    return name.startswith("sqlite_autoindex_")


def numbered(lines: list[str]) -> set[str]:
    """The lines as a set, a repeated one numbered: two unnamed twins are not one."""
    seen: Counter[str] = Counter()
    result = set()
    for line in lines:
        seen[line] += 1
        result.add(line if seen[line] == 1 else f"{line} #{seen[line]}")
    return result


def table_lines(inspector: Inspector, table: str) -> set[str]:
    """One line per column, key, index and constraint of a table.

    An object the database named itself is shown by what it is (its columns, its target),
    with * for a name; so is MySQL's implicit index for a foreign key, which takes the
    name of the key or of its first column, and a new one when the key is recreated.
    """
    dialect = inspector.bind.dialect.name

    def shown(name: str | None, columns: list[str] | None = None) -> str:
        return MADE_UP if made_up(dialect, table, name, columns) else str(name)

    lines = [f"table {table}"]
    for column in inspector.get_columns(table):
        null = "NULL" if column["nullable"] else "NOT NULL"
        default = column.get("default")
        if default is not None:
            default = SEQUENCE_DEFAULT.sub(
                lambda found: f"nextval({shown(found['name'])})", str(default)
            )
        described = f"{column['type']!r} {null} default {default}"
        lines.append(f"column {table}.{column['name']} {described}")
    key = inspector.get_pk_constraint(table)
    lines.append(f"primary key {table} {shown(key.get('name'))} {key['constrained_columns']}")
    foreign_keys = inspector.get_foreign_keys(table)
    for foreign in foreign_keys:
        columns = foreign["constrained_columns"]
        target = f"{foreign['referred_table']}{foreign['referred_columns']}"
        options = sorted((foreign.get("options") or {}).items())
        source = f"{table}.{shown(foreign['name'])} {columns}"
        lines.append(f"foreign key {source} -> {target} {options}")
    for index in inspector.get_indexes(table):
        columns = index.get("column_names") or index.get("expressions")
        implicit = dialect == "mysql" and any(
            index["name"] == foreign["name"] and columns == foreign["constrained_columns"]
            for foreign in foreign_keys
        )
        name = MADE_UP if implicit else shown(index["name"], columns)
        unique = " unique" if index["unique"] else ""
        lines.append(f"index {table}.{name} {columns}{unique}")
    for unique in inspector.get_unique_constraints(table):
        columns = unique["column_names"]
        lines.append(f"unique {table}.{shown(unique['name'], columns)} {columns}")
    for check in inspector.get_check_constraints(table):
        lines.append(f"check {table}.{shown(check['name'])} {check['sqltext']}")
    return numbered(lines)


def schema_lines(
    engine: Engine, read_table: Callable[[Inspector, str], set[str]] | None = None
) -> set[str]:
    """Everything a downgrade must put back as it was, one comparable line per object.

    `read_table` stands in for table_lines (cached_schema.py keeps unchanged tables' lines).
    """
    read_table = read_table or table_lines
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        lines = {f"view {view}" for view in inspector.get_view_names()}
        for table in inspector.get_table_names():
            # alembic's own table, and the migration environment's applied-file checksums
            if table not in ("alembic_version", "alembic_revision_checksums"):
                lines |= read_table(inspector, table)
        if connection.dialect.name == "postgresql":
            lines |= {f"enum {enum['name']} {enum['labels']}" for enum in inspector.get_enums()}
            lines |= sequence_lines(connection, inspector.get_sequence_names())
    return lines


# PostgreSQL's sequences that belong to a column (serial, identity), with that column.
OWNED_SEQUENCES = sa.text(
    "SELECT s.relname, t.relname, a.attname FROM pg_class s"
    " JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass"
    " AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
    " JOIN pg_class t ON t.oid = d.refobjid"
    " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
    " WHERE s.relkind = 'S'"
    " AND s.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
)


def sequence_lines(connection: Connection, names: list[str]) -> set[str]:
    """One line per sequence; one PostgreSQL named for a column is shown by that column."""
    owners = {row[0]: (row[1], row[2]) for row in connection.execute(OWNED_SEQUENCES)}
    lines = []
    for name in names:
        table, column = owners.get(name, ("", ""))
        if table and made_up("postgresql", table, name):
            lines.append(f"sequence {MADE_UP} of {table}.{column}")
        else:
            lines.append(f"sequence {name}" + (f" of {table}.{column}" if table else ""))
    return numbered(lines)
