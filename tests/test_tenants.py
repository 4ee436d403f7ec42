"""`alembic -x tenant=NAME <command>`: one command for one tenant (alembic_env_tenants.py).

A tenant is a PostgreSQL schema or a MySQL/MariaDB database. Each test makes its tenants
and drops them: on PostgreSQL schemas in a throwaway database, on MariaDB databases with a
distinctive prefix on the shared server.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from .databases import (
    apply_with_client,
    execute_autocommit,
    server_url,
    table_names,
    throwaway_database,
)
from .projects import MIGRATIONS, alembic, run

HEAD = "0002b8c4d2e9"
SERVERS = ["postgresql", "mysql"]


@contextmanager
def tenants_on(kind: str, directory: Path, *names: str) -> Iterator[tuple[URL, list[str]]]:
    """(the URL to give DATABASE_URL, the tenants' names), the tenants created empty and
    dropped afterwards. MySQL names get a prefix of their own: the server is shared."""
    if kind == "postgresql":
        with throwaway_database(kind, directory) as url:
            execute_autocommit(url, *(f"CREATE SCHEMA {name}" for name in names))
            yield url, list(names)
        return
    admin = server_url(kind)
    prefix = f"at_tenant_{uuid.uuid4().hex[:8]}_"
    made = [prefix + name for name in names]
    execute_autocommit(admin, *(f"CREATE DATABASE {name}" for name in made))
    try:
        yield admin, made
    finally:
        drop_databases_like(admin, prefix)


def drop_databases_like(admin: URL, prefix: str) -> None:
    """Drop every database whose name starts with the prefix (those a test made)."""
    engine = sa.create_engine(admin, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        query = sa.text("SELECT schema_name FROM information_schema.schemata")
        names = [row[0] for row in connection.execute(query) if row[0].startswith(prefix)]
    execute_autocommit(admin, *(f"DROP DATABASE IF EXISTS {name}" for name in names))


def one_line_failure(result) -> str:
    """The FAILED line of a command that failed as it should: one line, no traceback."""
    assert result.returncode != 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED: ")]
    assert len(failed) == 1, output
    return failed[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", SERVERS)
def test_commands_run_for_the_named_tenant_alone(project_copy, tmp_path, kind):
    project = project_copy("default")
    with tenants_on(kind, tmp_path, "acme", "globex") as (url, (acme, globex)):
        alembic(project, "-x", f"tenant={acme}", "upgrade", "head", url=url)
        assert {"users", "targets", "alembic_version"} <= table_names(url, acme)
        assert table_names(url, globex) == set()
        if kind == "postgresql":  # the version table is the schema's, nothing is public
            assert table_names(url, None) == set()
        current = alembic(project, "-x", f"tenant={acme}", "current", url=url)
        assert f"{HEAD} (head)" in current.stdout
        assert (
            f"{HEAD}" not in alembic(project, "-x", f"tenant={globex}", "current", url=url).stdout
        )
        alembic(project, "-x", f"tenant={acme}", "check", url=url)
        alembic(project, "-x", f"tenant={acme}", "downgrade", "base", url=url)
        assert "users" not in table_names(url, acme)


@pytest.mark.slow
@pytest.mark.parametrize("kind", SERVERS)
def test_autogenerate_compares_the_tenants_schema(project_copy, tmp_path, kind):
    project = project_copy("default")
    with tenants_on(kind, tmp_path, "acme", "globex") as (url, (acme, globex)):
        for name in (acme, globex):
            alembic(project, "-x", f"tenant={name}", "upgrade", "head", url=url)
        quoted = f'"{acme}"' if kind == "postgresql" else f"`{acme}`"
        execute_autocommit(url, f"DROP TABLE {quoted}.targets")
        alembic(project, "-x", f"tenant={globex}", "check", url=url)  # globex is as modelled
        drifted = alembic(project, "-x", f"tenant={acme}", "check", url=url, check=False)
        assert "New upgrade operations detected" in drifted.stdout + drifted.stderr
        alembic(project, "-x", f"tenant={acme}", "revision", "--autogenerate", "-m", "d", url=url)
        (written,) = (project / "migrations" / "versions").glob("*_d.py")
        text = written.read_text()
        assert 'op.create_table(\n        "targets"' in text
        assert "alembic_version" not in text and "drop_table" not in text.split("def downgrade")[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", SERVERS)
def test_a_missing_tenant_is_one_line_until_create_tenant_asks_for_it(
    project_copy, tmp_path, kind
):
    project = project_copy("default")
    with tenants_on(kind, tmp_path) as (url, _):
        name = "at_tenant_missing_" + uuid.uuid4().hex[:8]
        try:
            refused = alembic(
                project, "-x", f"tenant={name}", "upgrade", "head", url=url, check=False
            )
            line = one_line_failure(refused)
            assert f"tenant '{name}' does not exist" in line and "create_tenant=true" in line
            assert ("CREATE SCHEMA" if kind == "postgresql" else "CREATE DATABASE") in line
            create = ["-x", f"tenant={name}", "-x", "create_tenant=true"]
            alembic(project, *create, "upgrade", "head", url=url)
            assert "users" in table_names(url, name)
        finally:
            if kind == "mysql":
                execute_autocommit(url, f"DROP DATABASE IF EXISTS {name}")


BAD_NAMES = ["Acme", "1acme", "acme-corp", "a" * 64, "pg_catalog", "acme; DROP TABLE users", ""]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_tenant_names_are_lowercase_identifiers(name):
    tenants = migrations_module("alembic_env_tenants")
    with pytest.raises(tenants.CommandError, match="is not a tenant name: use lowercase"):
        tenants.Tenant.chosen({"tenant": name})
    for good in ("acme", "_acme", "acme_2", "a" * 63):
        assert tenants.Tenant.chosen({"tenant": good}).name == good


def test_a_bad_tenant_name_is_one_line(bake, tmp_path):
    url = sa.make_url(f"sqlite:///{tmp_path / 'app.db'}")
    result = alembic(bake("default"), "-x", "tenant=Acme", "current", url=url, check=False)
    line = one_line_failure(result)
    assert "is not a tenant name: use lowercase letters, digits and _" in line


def migrations_module(name: str):
    """A module of the migration environment, imported from its one source."""
    sys.path.insert(0, str(MIGRATIONS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(MIGRATIONS))


def test_tenants_refuse_include_schemas_in_one_line(bake, tmp_path):
    """Autogenerate would compare the other tenants' schemas too, and drop their tables."""
    url = sa.make_url(f"sqlite:///{tmp_path / 'app.db'}")
    on = {"ALEMBIC_INCLUDE_SCHEMAS": "true"}
    result = alembic(
        bake("default"), "-x", "tenant=acme", "check", url=url, extra_env=on, check=False
    )
    assert "turn include_schemas off" in one_line_failure(result)


def test_sqlite_refuses_tenants_in_one_line(bake, tmp_path):
    url = sa.make_url(f"sqlite:///{tmp_path / 'app.db'}")
    result = alembic(bake("default"), "-x", "tenant=acme", "upgrade", "head", url=url, check=False)
    assert "SQLite has no schemas to hold tenants" in one_line_failure(result)
    assert not (tmp_path / "app.db").exists() or table_names(url, None) == set()


@pytest.mark.slow
@pytest.mark.parametrize("kind", SERVERS)
def test_offline_sql_selects_the_tenant_first(project_copy, tmp_path, kind):
    project = project_copy("default")
    with tenants_on(kind, tmp_path, "acme") as (url, (acme,)):
        script = alembic(project, "-x", f"tenant={acme}", "upgrade", "head", "--sql", url=url)
        first = script.stdout.strip().splitlines()[0]
        assert first == (
            f'SET search_path TO "{acme}";' if kind == "postgresql" else f"USE `{acme}`;"
        )
        (tmp_path / "upgrade.sql").write_text(script.stdout)
        # The client connects to the URL's database; the script itself selects the tenant.
        apply_with_client(url, tmp_path / "upgrade.sql")
        assert {"users", "alembic_version"} <= table_names(url, acme)
        current = alembic(project, "-x", f"tenant={acme}", "current", url=url)
        assert f"{HEAD} (head)" in current.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind", SERVERS)
def test_each_tenant_has_a_migration_lock_of_its_own(project_copy, tmp_path, kind):
    """Tenants migrate side by side; two migrators of one tenant still take turns."""
    project = project_copy("default")
    with tenants_on(kind, tmp_path, "acme", "globex") as (url, (acme, globex)):
        wait = {"ALEMBIC_MIGRATION_LOCK_TIMEOUT": "1s"}
        with holding_migration_lock(url, acme):
            alembic(project, "-x", f"tenant={globex}", "upgrade", "head", url=url, extra_env=wait)
            held = alembic(
                project,
                "-x",
                f"tenant={acme}",
                "upgrade",
                "head",
                url=url,
                extra_env=wait,
                check=False,
            )
        assert "another migration still holds the migration lock" in one_line_failure(held)


@contextmanager
def holding_migration_lock(url: URL, tenant: str) -> Iterator[None]:
    """Hold the migration lock a migrator of this tenant takes (alembic_env_locks.py)."""
    advisory_key = migrations_module("alembic_env_locks").advisory_key
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if url.get_backend_name() == "postgresql":
            key = advisory_key(f"alembic:{url.database}.{tenant}")
            assert connection.execute(sa.text(f"SELECT pg_try_advisory_lock({key})")).scalar()
        else:
            name = f"alembic:{tenant}"
            assert connection.execute(sa.text(f"SELECT GET_LOCK('{name}', 0)")).scalar() == 1
        yield


def test_a_handed_over_connection_refuses_a_tenant(bake):
    """The caller's connection is in the caller's session: env.py does not change its
    search_path; the caller sets it."""
    code = (
        "from argparse import Namespace\n"
        "import sqlalchemy as sa\n"
        "from alembic import command\n"
        "from alembic.config import Config\n"
        "config = Config('alembic.ini', cmd_opts=Namespace(x=['tenant=acme']))\n"
        "with sa.create_engine('sqlite://').connect() as connection:\n"
        "    config.attributes['connection'] = connection\n"
        "    command.current(config)\n"
    )
    result = run(bake("default"), sys.executable, "-c", code, check=False)
    assert result.returncode != 0
    assert "-x tenant needs env.py's own connection" in result.stderr.splitlines()[-1]
