"""Mistakes in the URL or the config end in one line that says what to fix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from .databases import execute_autocommit, server_url, throwaway_database
from .projects import add_example, alembic

SECRET = "s3cr%et-pw"
ENCODED_SECRET = "s3cr%25et-pw"
# A password with the characters URLs trip on: @, :, %, and one outside latin-1. No piece
# of it, written as it is or percent-encoded, may reach the output.
HOSTILE = "Zq8x@Vy7w:Kj5%Hb3€Pd9"
HOSTILE_PIECES = ("Zq8x", "Vy7w", "Kj5", "Hb3", "Pd9", "€", quote(HOSTILE, safe=""))


def failure_line(result) -> str:
    """alembic's one-line FAILED message, after checking the run failed without a traceback."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1, result.stdout + result.stderr
    return failed[0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "FAILED: DATABASE_URL is not a database URL"),
        ("nosuchdb://user@host/db", "FAILED: DATABASE_URL names an unknown database 'nosuchdb'"),
        (
            f"postgresql+psycopg2://user:{ENCODED_SECRET}@127.0.0.1/db",
            "FAILED: the URL's driver needs the module 'psycopg2'",
        ),
        (
            f"postgresql+psycopg://user:{ENCODED_SECRET}@127.0.0.1:1/db",
            "FAILED: cannot connect to postgresql+psycopg://user:***@127.0.0.1:1/db",
        ),
        (
            f"mysql+pymysql://user:{ENCODED_SECRET}@127.0.0.1:1/db",
            "FAILED: cannot connect to mysql+pymysql://user:***@127.0.0.1:1/db",
        ),
        (
            f"postgresql+asyncpg://user:{ENCODED_SECRET}@127.0.0.1:1/db",
            "FAILED: cannot connect to postgresql+asyncpg://user:***@127.0.0.1:1/db",
        ),
        ("sqlite:////no/such/directory/x.db", "FAILED: cannot connect to sqlite:////no/such"),
    ],
    ids=[
        "malformed",
        "unknown-dialect",
        "missing-driver",
        "pg-down",
        "mysql-down",
        "async-down",
        "sqlite-bad-path",
    ],
)
def test_bad_url_is_one_line_without_the_password(bake, url, expected):
    result = alembic(bake("default"), "current", extra_env={"DATABASE_URL": url}, check=False)
    assert failure_line(result).startswith(expected)
    for secret in (SECRET, ENCODED_SECRET):
        assert secret not in result.stdout + result.stderr


def assert_no_part_of_the_password(result) -> None:
    output = result.stdout + result.stderr
    for piece in HOSTILE_PIECES:
        assert piece not in output, output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://user:Zq8x@Vy7w%Hb3€Pd9@127.0.0.1:1/db",
            "FAILED: DATABASE_URL has more than one unencoded @: percent-encode special "
            "characters in the user name and password (@ as %40,",
        ),
        (
            f"postgresql+psycopg://user:{HOSTILE}@127.0.0.1:1/db",
            "FAILED: DATABASE_URL has a port that is not a number; if a password holds @ or :, "
            "percent-encode special characters",
        ),
        (
            "postgresql+psycopg://user@127.0.0.1:Zq8x/db",
            "FAILED: DATABASE_URL has a port that is not a number",
        ),
        (
            f"mysql+pymysql://user:{quote(HOSTILE, safe='')}@127.0.0.1:1/db",
            "FAILED: cannot connect to mysql+pymysql://user:***@127.0.0.1:1/db: pymysql sends "
            "the password as latin-1, which cannot spell one of its characters",
        ),
    ],
    ids=["unencoded-at", "unencoded-colon", "port-not-a-number", "pymysql-not-latin-1"],
)
def test_a_password_needing_encoding_gets_a_hint_and_never_shows(bake, url, expected):
    result = alembic(bake("default"), "current", extra_env={"DATABASE_URL": url}, check=False)
    assert failure_line(result).startswith(expected)
    assert_no_part_of_the_password(result)


def test_missing_url_names_both_places_to_set_it(project_copy):
    project = project_copy("default")
    ini = project / "alembic.ini"
    ini.write_text(re.sub(r"(?m)^sqlalchemy\.url = .*$", "sqlalchemy.url =", ini.read_text()))
    line = failure_line(alembic(project, "current", check=False))
    assert line == (
        "FAILED: no database URL: set DATABASE_URL or sqlalchemy.url in alembic's config"
    )


@pytest.mark.postgresql
def test_percent_in_password_works_and_never_shows(bake, tmp_path):
    with throwaway_database("postgresql", tmp_path) as url:
        # Trust authentication accepts any password: what matters is that it gets there.
        with_secret = url.set(password=SECRET)
        result = alembic(bake("default"), "upgrade", "head", url=with_secret)
        assert "Running upgrade" in result.stderr
        result = alembic(bake("default"), "-x", "verbose=true", "current", url=with_secret)
        for secret in (SECRET, ENCODED_SECRET):
            assert secret not in result.stdout + result.stderr


@pytest.mark.postgresql
def test_percent_in_the_ini_url_is_written_as_double_percent(project_copy, tmp_path):
    server = server_url("postgresql").set(password=SECRET)
    project = project_copy("default")
    ini = project / "alembic.ini"
    escaped = server.render_as_string(hide_password=False).replace("%", "%%")
    ini.write_text(
        re.sub(r"(?m)^sqlalchemy\.url = .*$", f"sqlalchemy.url = {escaped}", ini.read_text())
    )
    result = alembic(project, "current")
    assert "PostgresqlImpl" in result.stderr
    ini.write_text(ini.read_text().replace("%%25", "%25"))
    line = failure_line(alembic(project, "current", check=False))
    assert line.startswith("FAILED: sqlalchemy.url in ") and line.endswith("write each % as %%")
    assert ENCODED_SECRET not in line


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (None, "FAILED: target_metadata is not set: add target_metadata = "),
        ("trading_bot.models", "FAILED: target_metadata = 'trading_bot.models' is not module:"),
        ("no_such_package.models:metadata", "cannot import 'no_such_package'"),
        ("trading_bot.models:Base", "not a MetaData; point it at a MetaData"),
        ("trading_bot.models:nothing", "is NoneType, not a MetaData"),
    ],
    ids=["missing", "no-attribute", "not-importable", "not-metadata", "no-such-attribute"],
)
def test_bad_target_metadata_names_the_option(project_copy, tmp_path, metadata, expected):
    project = project_copy("default")
    ini = project / "alembic.ini"
    ini.write_text(re.sub(r"(?m)^target_metadata = .*$\n", "", ini.read_text()))
    env = {"ALEMBIC_TARGET_METADATA": metadata} if metadata else {}
    url = sa.make_url(f"sqlite:///{tmp_path / 'x.db'}")
    line = failure_line(alembic(project, "check", url=url, extra_env=env, check=False))
    assert expected in line
    assert "target_metadata" in line


def test_applying_revisions_never_imports_the_models(project_copy, tmp_path):
    project = project_copy("default")
    # A deploy image may lack the application: break its models and drop the option.
    (project / "src/trading_bot/models/users.py").write_text("raise ImportError('no app')\n")
    ini = project / "alembic.ini"
    ini.write_text(re.sub(r"(?m)^target_metadata = .*$\n", "", ini.read_text()))
    url = sa.make_url(f"sqlite:///{tmp_path / 'deploy.db'}")
    alembic(project, "upgrade", "head", url=url)
    alembic(project, "downgrade", "base", url=url)
    assert "CREATE TABLE users" in alembic(project, "upgrade", "head", "--sql", url=url).stdout
    line = failure_line(alembic(project, "check", url=url, check=False))
    assert line.startswith("FAILED: target_metadata is not set")


def test_verbose_option_logs_the_sql(bake, tmp_path):
    url = sa.make_url(f"sqlite:///{tmp_path / 'x.db'}")
    result = alembic(bake("default"), "-x", "verbose=true", "upgrade", "head", url=url)
    assert "CREATE TABLE users" in result.stderr
    quiet = alembic(bake("default"), "downgrade", "base", url=url)
    assert "DROP TABLE" not in quiet.stderr


@pytest.mark.mysql
def test_a_url_without_a_driver_uses_an_installed_one(bake, tmp_path):
    # SQLAlchemy's default MySQL driver, mysqlclient, is not installed here: PyMySQL is.
    with throwaway_database("mysql", tmp_path) as url:
        driverless = url.set(drivername="mysql")
        result = alembic(bake("default"), "upgrade", "head", url=driverless)
        assert "MySQLdb is not installed: using mysql+pymysql" in result.stderr
        assert "Running upgrade" in result.stderr


def connections(admin: sa.engine.URL, database: str) -> list[tuple[int, str]]:
    """The other sessions on a database: (id, statement running), for the tests to end."""
    if admin.get_backend_name() == "postgresql":
        query = (
            "SELECT pid, coalesce(query, '') FROM pg_stat_activity "
            "WHERE datname = :database AND pid <> pg_backend_pid()"
        )
    else:
        query = (
            "SELECT id, coalesce(info, '') FROM information_schema.processlist "
            "WHERE db = :database AND id <> CONNECTION_ID()"
        )
    with sa.create_engine(admin, poolclass=sa.pool.NullPool).connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(query), {"database": database})]


def terminate(admin: sa.engine.URL, ids: list[int]) -> None:
    """pg_terminate_backend on PostgreSQL, KILL on MariaDB: what an operator or failover does."""
    postgresql = admin.get_backend_name() == "postgresql"
    execute_autocommit(
        admin, *(f"SELECT pg_terminate_backend({i})" if postgresql else f"KILL {i}" for i in ids)
    )


def upgrade_in_background(project, url: sa.engine.URL, target: str) -> subprocess.Popen[str]:
    """`alembic upgrade TARGET` in its own process, for the test to cut its connections."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    # Long enough that the test, not a timeout, ends the migration's wait.
    env.update(ALEMBIC_LOCK_TIMEOUT="60s", DATABASE_URL=url.render_as_string(hide_password=False))
    command = [sys.executable, "-m", "alembic", "upgrade", target]
    return subprocess.Popen(command, cwd=project, env=env, text=True, stdout=-1, stderr=-1)


def wait_for(condition, what: str, seconds: float = 60):
    """Poll until condition() returns something true; return it."""
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def with_hostile_password(url: sa.engine.URL) -> sa.engine.URL:
    """PostgreSQL's test server trusts any password: send HOSTILE. MariaDB's root has none."""
    return url.set(password=HOSTILE) if url.get_backend_name() == "postgresql" else url


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_terminated_index_build_is_one_line(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "terminated-connection")
    with throwaway_database(kind, tmp_path) as url:
        alembic(project, "upgrade", "0002b8c4d2e9", url=url)
        admin = server_url(kind)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as blocker:
            # An open transaction on users: the index build waits for it to end.
            blocker.exec_driver_sql(
                "LOCK TABLE users IN ROW EXCLUSIVE MODE"
                if kind == "postgresql"
                else "SELECT * FROM users"
            )
            upgrade = upgrade_in_background(project, with_hostile_password(url), "aaaa00000001")
            builds = wait_for(
                lambda: [
                    i
                    for i, query in connections(admin, url.database)
                    if query.startswith("CREATE INDEX")
                ],
                "the index build",
            )
            terminate(admin, builds)
            stdout, stderr = upgrade.communicate(timeout=120)
        result = subprocess.CompletedProcess(upgrade.args, upgrade.returncode, stdout, stderr)
        line = failure_line(result)
        assert "CREATE INDEX" in line and "ix_users_created_at" in line, line
        assert "the database is at revision 0002b8c4d2e9" in line, line
        if kind == "postgresql":
            assert line.startswith(
                "FAILED: the database connection was closed or terminated (terminating "
                "connection due to administrator command) at "
                "20260101_0000_aaaa00000001_index_created_at.py line 20, in: CREATE INDEX "
            ), line
            assert "run the upgrade again" in line, line
        assert_no_part_of_the_password(result)
        # As the line says: run it again, and the index is built.
        assert (
            "Running upgrade 0002b8c4d2e9 -> aaaa00000001"
            in alembic(project, "upgrade", "aaaa00000001", url=url).stderr
        )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_backfill_with_both_connections_terminated_is_one_line(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "terminated-connection")
    with throwaway_database(kind, tmp_path) as url:
        with sa.create_engine(url, poolclass=sa.pool.NullPool).begin() as connection:
            connection.exec_driver_sql(
                "CREATE TABLE items (id INTEGER PRIMARY KEY, counter INTEGER NOT NULL DEFAULT 0)"
            )
            connection.execute(
                sa.text("INSERT INTO items (id) VALUES (:id)"), [{"id": i} for i in range(600)]
            )
        admin = server_url(kind)
        upgrade = upgrade_in_background(project, with_hostile_password(url), "head")

        def backfill_under_way() -> bool:
            with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as connection:
                return (
                    connection.execute(
                        sa.text("SELECT count(*) FROM items WHERE counter > 0")
                    ).scalar()
                    > 0
                )

        wait_for(backfill_under_way, "the first batch")
        # The migration's connection, the batch connection and the migration lock's.
        terminate(admin, [i for i, _ in connections(admin, url.database)])
        stdout, stderr = upgrade.communicate(timeout=120)
        result = subprocess.CompletedProcess(upgrade.args, upgrade.returncode, stdout, stderr)
        line = failure_line(result)
        assert line.startswith("FAILED: the database connection was closed or terminated ("), line
        assert " at 20260101_0001_aaaa00000002_backfill_items.py line 23, in: " in line, line
        assert "; the database is at revision aaaa00000001: run the upgrade again" in line, line
        assert_no_part_of_the_password(result)
        assert (
            "Running upgrade aaaa00000001 -> aaaa00000002"
            in alembic(project, "upgrade", "head", url=url).stderr
        )
