"""What callers hand env.py in config.attributes["connection"], and what they get.

pytest-alembic's documented fixture hands over an Engine, its experimental no-trace test
a wrapper of its own connection, applications a Connection (perhaps inside their own
transaction). Each must work; pytest-alembic's own tests run unmodified.
"""

from __future__ import annotations

import sys

import pytest

from .databases import throwaway_database
from .projects import add_example, alembic, run

# A baked option set per database, each with a synchronous driver and alembic.ini:
# pytest-alembic's model-registration test reads alembic.ini only (Config("alembic.ini")).
OPTION_SETS = {"sqlite": "default", "postgresql": "default", "mysql": "mysql"}


@pytest.mark.parametrize("kind", list(OPTION_SETS))
def test_pytest_alembics_own_tests_pass_with_its_documented_fixtures(project_copy, tmp_path, kind):
    project = project_copy(OPTION_SETS[kind])
    add_example(project, "pytest-alembic-docs")
    with throwaway_database(kind, tmp_path) as url:
        engine_url = url.render_as_string(hide_password=False)
        result = run(
            project,
            sys.executable,
            "-m",
            "pytest",
            "pytest_alembic_docs",
            "-p",
            "no:cacheprovider",
            "-q",
            extra_env={"ENGINE_URL": engine_url},
            check=False,
        )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert summary.startswith("6 passed"), summary


@pytest.mark.postgresql
def test_an_engine_is_connected_to_and_left_to_its_owner(project_copy, tmp_path):
    project = project_copy("default")
    script = add_example(project, "connection-in-attributes")
    (handed_engine,) = [path for path in script if path.name == "upgrade_on_a_handed_engine.py"]
    with throwaway_database("postgresql", tmp_path) as url:
        printed = run(
            project, sys.executable, str(handed_engine), url.render_as_string(hide_password=False)
        ).stdout.splitlines()
    assert "'users'" in printed[0] and "'alembic_version'" in printed[0]
    assert printed[1] == "0", "env.py left a connection of the caller's engine open"


@pytest.mark.postgresql
def test_a_safe_step_runs_in_the_callers_transaction(project_copy, tmp_path):
    """CREATE INDEX CONCURRENTLY cannot run in a transaction: there it runs plainly."""
    project = project_copy("default")
    add_example(project, "index-then-column")
    scripts = add_example(project, "connection-in-attributes")
    (handed_connection,) = [p for p in scripts if p.name == "upgrade_on_a_handed_connection.py"]
    with throwaway_database("postgresql", tmp_path) as url:
        result = run(
            project,
            sys.executable,
            str(handed_connection),
            url.render_as_string(hide_password=False),
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        current = alembic(project, "current", url=url).stdout
    assert "aaaa00000002 (head)" in current


def test_tables_on_a_second_metadata_are_named(project_copy, tmp_path):
    project = project_copy("sqlite-pyproject")
    add_example(project, "second-metadata")
    url = f"sqlite:///{tmp_path / 'second.db'}"
    alembic(project, "upgrade", "head", extra_env={"DATABASE_URL": url})
    check = alembic(project, "check", extra_env={"DATABASE_URL": url})
    warning = [line for line in check.stderr.splitlines() if "audit_entries" in line]
    assert len(warning) == 1, check.stderr
    assert "trading_bot.models.legacy keeps tables on a MetaData other than" in warning[0]
    assert "No new upgrade operations detected" in check.stdout


def test_an_async_engine_is_connected_to_and_left_to_its_owner(project_copy, tmp_path):
    project = project_copy("default")
    scripts = add_example(project, "connection-in-attributes")
    (handed,) = [path for path in scripts if path.name == "upgrade_on_a_handed_async_engine.py"]
    url = f"sqlite+aiosqlite:///{tmp_path / 'async.db'}"
    printed = run(project, sys.executable, str(handed), url).stdout
    assert "'users'" in printed and "'alembic_version'" in printed


def test_an_async_engine_from_a_running_loop_is_refused_in_one_line(project_copy, tmp_path):
    project = project_copy("default")
    scripts = add_example(project, "connection-in-attributes")
    (in_loop,) = [path for path in scripts if path.name == "upgrade_from_a_running_loop.py"]
    url = f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}"
    result = run(project, sys.executable, str(in_loop), url)
    assert "called from a running event loop" in result.stdout, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_handed_connection_gathers_no_listeners(project_copy, tmp_path):
    project = project_copy("default")
    scripts = add_example(project, "connection-in-attributes")
    (twice,) = [path for path in scripts if path.name == "two_commands_on_one_connection.py"]
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    printed = run(project, sys.executable, str(twice), url).stdout.strip().splitlines()[-1]
    before, after_one, after_two = (int(n) for n in printed.strip("[]").split(","))
    assert before == after_one == after_two, printed
