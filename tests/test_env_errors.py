"""Mistakes in the URL or the config end in one line that says what to fix."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from .databases import server_url, throwaway_database
from .projects import alembic

SECRET = "s3cr%et-pw"
ENCODED_SECRET = "s3cr%25et-pw"


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
