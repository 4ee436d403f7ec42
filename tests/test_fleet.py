"""`alembic-template fleet`: one alembic command for every tenant, N at a time.

200 schemas on PostgreSQL, 20 databases on MariaDB: the fleet upgrades them with
--concurrency N while a sampler counts the connections open to them (never more than
N + 1), one tenant made to fail does not stop the others, and a rerun skips the tenants
already at head.
"""

from __future__ import annotations

import re
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from alembic_template import fleet
from alembic_template.cli import TemplateCommandLine

from .databases import execute_autocommit, server_url, throwaway_database
from .projects import MIGRATIONS, add_example, run
from .test_tenants import drop_databases_like

INITIAL = "0001a1e7b1d4"
# Wide enough for the summary's rows not to wrap, so a test can read one per line.
WIDE = {"COLUMNS": "250"}


def fleet_command(project: Path, url: URL, *args: str, check: bool = False):
    """Run `alembic-template fleet ARGS` in the project, as its user would."""
    command = [sys.executable, "-m", "alembic_template", "fleet", *args]
    return run(project, *command, url=url, extra_env=WIDE, check=check)


def summary_rows(output: str) -> dict[str, list[str]]:
    """tenant -> [from, to, seconds, result], from the fleet's summary table."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│┃]", line)[1:-1]]
        if len(cells) == 5 and cells[0] not in ("tenant", ""):
            rows[cells[0]] = cells[1:]
    return rows


@contextmanager
def counting_connections(url: URL, like: str) -> Iterator[list[int]]:
    """Sample, until the block ends, how many connections other than the sampler's are
    open to the databases whose names are LIKE the pattern (PostgreSQL: the database;
    MySQL: the default database of each connection)."""
    if url.get_backend_name() == "postgresql":
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE :like "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"  # not autovacuum
        )
    else:
        query = (
            "SELECT count(*) FROM information_schema.processlist WHERE db LIKE :like "
            "AND id <> connection_id()"
        )
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            while not stop.wait(0.01):
                samples.append(connection.execute(sa.text(query), {"like": like}).scalar())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield samples
    finally:
        stop.set()
        sampler.join()


def output_folder(result) -> Path:
    """The folder of the failed tenants' output that the fleet's last line names."""
    (last,) = [line for line in result.stdout.splitlines() if line.startswith("FAILED: ")]
    return Path(last.split("their output is in ")[1].split(";")[0])


def fleet_project(project_copy) -> Path:
    """The default project with its schema revision only: the example data revision's
    backfill() holds a connection of its own while it runs (see the README)."""
    project = project_copy("default")
    for revision in (project / "migrations" / "versions").glob("*0002b8c4d2e9*"):
        revision.unlink()
    return project


def check_fleet(project: Path, url: URL, tenants_query: str, tenants: list[str], like: str):
    """The fleet scenario: the first upgrade with a failing tenant, a rerun, a fixed rerun."""
    failing = tenants[len(tenants) // 2]
    quoted = f'"{failing}"' if url.get_backend_name() == "postgresql" else f"`{failing}`"
    execute_autocommit(url, f"CREATE TABLE {quoted}.users (conflicting INTEGER)")
    concurrency = 4
    args = ["--tenants-query", tenants_query, "--concurrency", str(concurrency)]
    with counting_connections(url, like) as samples:
        first = fleet_command(project, url, *args, "upgrade", "head")
    assert first.returncode != 0, first.stdout + first.stderr
    (last,) = [line for line in first.stdout.splitlines() if line.startswith("FAILED: ")]
    assert f"1 of {len(tenants)} tenants failed ({failing}); their output is in " in last
    logs = output_folder(first)
    assert "already exists" in (logs / f"{failing}.log").read_text()
    shutil.rmtree(logs)
    assert f"{len(tenants)}/{len(tenants)}" in first.stderr  # the progress bar, at its end
    assert re.search(r"tenant\s*┃\s*from\s*┃\s*to\s*┃\s*seconds\s*┃\s*result", first.stdout)
    rows = summary_rows(first.stdout)
    assert set(rows) == set(tenants), first.stdout
    assert rows[failing][3].startswith("failed: "), rows[failing]
    assert "already exists" in rows[failing][3]
    assert all(
        rows[t][:2] == ["base", INITIAL] and rows[t][3] == "ok" for t in tenants if t != failing
    )
    assert 2 <= max(samples) <= concurrency + 1, sorted(set(samples))

    again = fleet_command(project, url, *args, "upgrade", "head")
    assert again.returncode != 0
    rows = summary_rows(again.stdout)
    skipped = [t for t, row in rows.items() if row[3] == "skipped: at target"]
    assert sorted(skipped) == sorted(t for t in tenants if t != failing)
    assert rows[failing][3].startswith("failed: ")
    shutil.rmtree(output_folder(again))

    execute_autocommit(url, f"DROP TABLE {quoted}.users")
    fixed = fleet_command(project, url, *args, "upgrade", "head")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    rows = summary_rows(fixed.stdout)
    assert rows[failing][:2] == ["base", INITIAL] and rows[failing][3] == "ok"
    assert sum(row[3] == "skipped: at target" for row in rows.values()) == len(tenants) - 1


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["postgresql"])
def test_fleet_upgrades_200_schemas_n_at_a_time(project_copy, tmp_path, kind):
    project = fleet_project(project_copy)
    with throwaway_database(kind, tmp_path) as url:
        tenants = [f"tenant_{i:03}" for i in range(200)]
        execute_autocommit(url, *(f"CREATE SCHEMA {name}" for name in tenants))
        query = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1"
        check_fleet(project, url, query, tenants, like=url.database)


@pytest.mark.parametrize("kind", ["mysql"])
def test_fleet_upgrades_20_databases_n_at_a_time(project_copy, kind):
    project = fleet_project(project_copy)
    admin = server_url(kind)
    prefix = f"at_fleet_{uuid.uuid4().hex[:8]}_"
    tenants = [f"{prefix}{i:02}" for i in range(20)]
    # The fleet's own connection goes to a database of the test's too, to be counted.
    home = f"{prefix}home"
    execute_autocommit(admin, *(f"CREATE DATABASE {name}" for name in [*tenants, home]))
    try:
        query = (
            "SELECT schema_name FROM information_schema.schemata "
            f"WHERE schema_name LIKE '{prefix}__' ORDER BY 1"
        )
        check_fleet(project, admin.set(database=home), query, tenants, like=f"{prefix}%")
    finally:
        drop_databases_like(admin, prefix)


def test_the_fleet_checks_tenant_names_as_env_py_does():
    sys.path.insert(0, str(MIGRATIONS))
    try:
        import alembic_env_tenants
    finally:
        sys.path.remove(str(MIGRATIONS))
    assert fleet.TENANT_NAME.pattern == alembic_env_tenants.TENANT_NAME.pattern
    assert fleet.SYSTEM_NAMES.pattern == alembic_env_tenants.SYSTEM_NAMES.pattern


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--tenants", "acme,Globex", "upgrade", "head"], "'Globex': not tenant names"),
        (["--tenants", "acme", "upgrade", "head", "--sql"], "--sql writes one script per tenant"),
        (["--tenants", "acme"], "name the alembic command"),
        (["--tenants", "acme", "upgrade", "head"], "SQLite has no schemas to hold tenants"),
        (["--tenants", " , ", "upgrade", "head"], "no tenants to run"),
        (["--tenants", "acme", "upgrade", "head"], "-x tenant is the fleet's to set"),
    ],
    ids=["bad name", "sql", "no command", "sqlite", "no tenants", "x tenant"],
)
def test_the_fleet_refuses_in_one_line(bake, tmp_path, monkeypatch, capsys, args, says):
    """In-process, for speed: each refusal comes before any tenant's command runs."""
    monkeypatch.chdir(bake("default"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    before = ["-x", "tenant=acme"] if "-x tenant" in says else []
    with pytest.raises(SystemExit) as leaving:
        TemplateCommandLine().main([*before, "fleet", *args])
    assert leaving.value.code != 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAILED")]
    assert says in line


def test_the_fleet_refuses_in_one_line_from_the_command_line(bake, tmp_path):
    url = sa.make_url(f"sqlite:///{tmp_path / 'app.db'}")
    result = fleet_command(bake("default"), url, "--tenants", "acme", "upgrade", "head")
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("FAILED: ")]
    assert "SQLite has no schemas to hold tenants" in line


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["postgresql"])
def test_a_worker_that_dies_fails_its_tenant_alone(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "tenant-crash")
    with throwaway_database(kind, tmp_path) as url:
        tenants = ["before", "crash", "after"]
        execute_autocommit(url, *(f"CREATE SCHEMA {name}" for name in tenants))
        # One worker: the tenant after the crash needs the worker that replaced it.
        result = fleet_command(
            project, url, "--tenants", ",".join(tenants), "--concurrency", "1", "upgrade", "head"
        )
    assert result.returncode != 0
    rows = summary_rows(result.stdout)
    assert rows["crash"][3] == "failed: the worker process ended (3)", rows
    assert rows["crash"][1] == "0002b8c4d2e9"  # the revisions before it committed
    for tenant in ("before", "after"):
        assert rows[tenant][1] == "ccaa00000001" and rows[tenant][3] == "ok", rows
    shutil.rmtree(output_folder(result))
