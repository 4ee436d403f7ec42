"""Throwaway databases on the real servers named by environment variables.

A server whose variable is unset, or that does not answer, makes its tests skip with a
reason that says how to run them; with REQUIRE_TEST_SERVERS=1 (as .ci/run sets) every
such skip is a failure instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

SERVER_VARIABLES = {
    "postgresql": "TEST_POSTGRESQL_URL",
    "mysql": "TEST_MYSQL_URL",
}
EXAMPLE_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/test",
}
REQUIRE_VARIABLE = "REQUIRE_TEST_SERVERS"
DATABASES = ("sqlite", "postgresql", "mysql")
# The markers of the running test (conftest sets them): a server needs its own marker.
MARKED_SERVERS: set[str] | None = None


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when the servers are required."""
    if os.environ.get(REQUIRE_VARIABLE):
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE} is set, so this cannot be skipped)")
    pytest.skip(reason)


def server_url(kind: str) -> URL:
    """The administrative URL of a server, from its environment variable."""
    variable = SERVER_VARIABLES[kind]
    raw = os.environ.get(variable)
    if not raw:
        unavailable(f"{kind} tests need a server: set {variable}={EXAMPLE_URLS[kind]}")
    url = sa.make_url(raw)
    try:
        sa.create_engine(url, poolclass=sa.pool.NullPool).connect().close()
    except sa.exc.DBAPIError as error:
        unavailable(f"{kind} server at {variable} does not answer: {error.orig}")
    if MARKED_SERVERS is not None and kind not in MARKED_SERVERS:
        pytest.fail(f"this test uses the {kind} server: mark it @pytest.mark.{kind}")
    return url


def execute_autocommit(url: URL, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE need that)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def query(url: URL, statement: str) -> list:
    """Run one SQL statement in its own transaction; the rows it returns, if any."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            result = connection.execute(sa.text(statement))
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def table_names(url: URL, schema: str | None = None) -> set[str]:
    """The tables of the URL's database, or of a schema (a MySQL database) beside it."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names(schema=schema))
    finally:
        engine.dispose()


@contextmanager
def throwaway_database(kind: str, directory: Path) -> Iterator[URL]:
    """Create an empty database for one test and drop it afterwards."""
    if kind == "sqlite":
        yield sa.make_url(f"sqlite:///{directory / 'test.db'}")
        return
    admin = server_url(kind)
    name = f"at_{uuid.uuid4().hex[:12]}"
    execute_autocommit(admin, f"CREATE DATABASE {name}")
    try:
        yield admin.set(database=name)
    finally:
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        execute_autocommit(admin, f"DROP DATABASE IF EXISTS {name}{force}")


def apply_with_client(url: URL, script: Path) -> None:
    """Apply a SQL script with the database's own command-line client."""
    if url.get_backend_name() == "postgresql":
        command = ["psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "-f", str(script)]
        command += ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
        command += ["-U", url.username or "postgres", "-d", url.database or ""]
        piped = None
    else:
        client = shutil.which("mariadb") or shutil.which("mysql") or "mariadb"
        command = [client, "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
        command += ["-u", url.username or "root", url.database or ""]
        piped = script
    if not shutil.which(command[0]):
        unavailable(f"applying SQL needs the {command[0]} client on PATH")
    env = {**os.environ, "PGPASSWORD": url.password or "", "MYSQL_PWD": url.password or ""}
    with piped.open() if piped else open(os.devnull) as source:
        result = subprocess.run(command, stdin=source, capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stderr}"
