"""Every command of the seed guide works in a baked project, as its README writes it.

The commands run through bash exactly as a person would type them; where the guide is
wrong (`-v`, `heads` for pending revisions) the README gives the better command, and that
is what runs. A last test checks that the README shows no alembic command left untested.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from .databases import execute_autocommit, server_url, throwaway_database
from .projects import run

EVERYDAY = [
    'alembic revision --autogenerate -m "Add user_settings table"',
    'alembic revision -m "Data migration: describe it"',
    "alembic upgrade head",
    "alembic downgrade -1",
    "alembic current",
    "alembic history",
    "alembic upgrade head --sql > migration.sql",
]
TESTING = ["alembic upgrade head", "alembic downgrade base", "alembic upgrade head"]
TROUBLESHOOTING = [
    "alembic current",
    "alembic history --indicate-current -r current:heads",
    "alembic current --check-heads",
    "alembic upgrade head",
    "alembic heads",
    'alembic merge -m "Merge branches" head1 head2',
    "alembic downgrade -1",
    "alembic upgrade head --sql",
    "alembic -x verbose=true upgrade head",
]

TEMPLATES = [
    'alembic revision --autogenerate -m "Add user_settings table"',
    'alembic -x template=data revision -m "Data migration: reprice items"',
    'alembic -x template=stairway revision --autogenerate -m "users.phone required"',
]
# The README's "Tenants" block: one tenant, a schema (PostgreSQL) or a database (MySQL).
TENANTS = [
    "alembic -x tenant=acme upgrade head",
    "alembic -x tenant=acme current",
    "alembic -x tenant=acme check",
    'alembic -x tenant=acme revision --autogenerate -m "..."',
    "alembic -x tenant=acme upgrade head --sql",
]

ADDED_TO_USERS = "    phone: Mapped[str | None] = mapped_column(sa.String(20))\n"


def shell(project: Path, command: str, url: sa.engine.URL | None = None, check: bool = True):
    """Run one command line through bash, with this environment's alembic first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return run(project, "bash", "-c", command, url=url, extra_env={"PATH": path}, check=check)


def revision_files(project: Path) -> list[Path]:
    return sorted((project / "migrations" / "versions").glob("*.py"))


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow), "mysql"]
)
def test_everyday_commands(project_copy, tmp_path, kind):
    project = project_copy("default")
    with throwaway_database(kind, tmp_path) as url:
        shell(project, "alembic upgrade head", url)  # autogenerate compares with a current db
        users = project / "src/trading_bot/models/users.py"
        users.write_text(
            users.read_text().replace(
                "\n\nclass UserPreferences", ADDED_TO_USERS + "\n\nclass UserPreferences"
            )
        )
        shell(project, EVERYDAY[0], url)
        (schema_change,) = [p for p in revision_files(project) if "user_settings" in p.name]
        assert "phone" in schema_change.read_text()
        shell(project, EVERYDAY[1], url)
        (data,) = [p for p in revision_files(project) if "data_migration" in p.name]
        assert '"""Data migration: describe it' in data.read_text()
        shell(project, EVERYDAY[2], url)
        shell(project, EVERYDAY[3], url)
        current = shell(project, EVERYDAY[4], url).stdout
        assert schema_change.name.split("_")[2] in current
        history = shell(project, EVERYDAY[5], url).stdout
        assert len(history.strip().splitlines()) == len(revision_files(project))
        shell(project, EVERYDAY[6], url)
        sql = (project / "migration.sql").read_text()
        assert "CREATE TABLE users" in sql and "phone" in sql
        assert "INFO" not in sql, "log lines leaked into the SQL file"


@pytest.mark.slow
@pytest.mark.xdist_group("tenant-acme")  # MySQL's tenant acme is a database of the server
@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_tenant_commands(project_copy, tmp_path, kind):
    project = project_copy("default")
    with throwaway_database(kind, tmp_path) as url:
        create = "CREATE SCHEMA acme" if kind == "postgresql" else "CREATE DATABASE acme"
        execute_autocommit(url, create)
        try:
            shell(project, TENANTS[0], url)
            current = shell(project, TENANTS[1], url).stdout
            before = revision_files(project)
            assert before[-1].name.split("_")[2] in current, current
            shell(project, TENANTS[2], url)
            shell(project, TENANTS[3], url)
            # acme's schema matches the models: a comparison with any other schema (an
            # empty one) would have written a revision creating every table.
            assert revision_files(project) == before
            sql = shell(project, TENANTS[4], url).stdout
            first = sql.lstrip().splitlines()[0]
            assert first in ('SET search_path TO "acme";', "USE `acme`;"), sql[:200]
        finally:
            if kind == "mysql":
                execute_autocommit(url, "DROP DATABASE IF EXISTS acme")
        with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as connection:
            assert "alembic_version" not in sa.inspect(connection).get_table_names()


def test_template_commands(project_copy, tmp_path):
    project = project_copy("default")
    with throwaway_database("sqlite", tmp_path) as url:
        shell(project, "alembic upgrade head", url)
        users = project / "src/trading_bot/models/users.py"
        required = ADDED_TO_USERS.replace("str | None", "str")
        users.write_text(
            users.read_text().replace(
                "\n\nclass UserPreferences", required + "\n\nclass UserPreferences"
            )
        )
        shell(project, TEMPLATES[2], url)
        steps = sorted(
            p.name.rsplit("_", 1)[1] for p in revision_files(project) if "phone" in p.name
        )
        assert steps == ["backfill.py", "contract.py", "expand.py"]
        assert len(shell(project, "alembic heads", url).stdout.strip().splitlines()) == 1
        shell(project, TEMPLATES[1], url)
        (data,) = [p for p in revision_files(project) if "reprice_items" in p.name]
        assert "from alembic_env_backfill import backfill" in data.read_text()


def readme_block(project: Path, heading: str) -> str:
    """The first bash block under a heading of the baked README."""
    section = (project / "README.md").read_text().split(f"## {heading}\n", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)


# Per server: the option set, the README's lines, and how to point them at the test server.
TESTING_SECTIONS = {
    "postgresql": {
        "option_set": "default",
        "create": "createdb trading_bot_test",
        "url": "export DATABASE_URL=postgresql://postgres@localhost/trading_bot_test",
        "who": "postgres@localhost",
        "client": "PGHOST={host} PGPORT={port} PGUSER={user}",
        "drop": "DROP DATABASE IF EXISTS trading_bot_test WITH (FORCE)",
    },
    "mysql": {
        "option_set": "mysql",
        "create": "mysql -u root -e 'CREATE DATABASE trading_bot_test'",
        "url": "export DATABASE_URL=mysql+pymysql://root@localhost/trading_bot_test",
        "who": "root@localhost",
        "client": "MYSQL_HOST={host} MYSQL_TCP_PORT={port}",
        "drop": "DROP DATABASE IF EXISTS trading_bot_test",
    },
}


@pytest.mark.slow  # the sqlite test below runs the same block in the inner loop
@pytest.mark.parametrize("kind", sorted(TESTING_SECTIONS))
def test_testing_section_runs_as_written_on_a_server(project_copy, kind):
    facts = TESTING_SECTIONS[kind]
    project = project_copy(facts["option_set"])
    server = server_url(kind)
    block = readme_block(project, "Testing migrations")
    assert facts["create"] in block and facts["url"] in block
    # Point the block at the test server, keeping the README's URL form.
    port = server.port or {"postgresql": 5432, "mysql": 3306}[kind]
    block = block.replace(facts["who"], f"{server.username}@{server.host}:{port}")
    client = facts["client"].format(host=server.host, port=port, user=server.username)
    execute_autocommit(server, facts["drop"])
    try:
        result = shell(project, f"set -e; export {client}\n{block}")
        revisions = len(revision_files(project))
        assert result.stderr.count("Running upgrade") == 2 * revisions
        assert result.stderr.count("Running downgrade") == revisions
    finally:
        execute_autocommit(server, facts["drop"])


def test_testing_section_runs_as_written_on_sqlite(project_copy):
    project = project_copy("sqlite-pyproject")
    block = readme_block(project, "Testing migrations")
    assert "export DATABASE_URL=sqlite:///trading_bot_test.db" in block
    result = shell(project, f"set -e\n{block}")
    revisions = len(revision_files(project))
    assert result.stderr.count("Running upgrade") == 2 * revisions
    assert (project / "trading_bot_test.db").exists()


@pytest.mark.slow
def test_troubleshooting_commands(project_copy, tmp_path):
    project = project_copy("default")
    with throwaway_database("sqlite", tmp_path) as url:
        # "A migration fails": roll back, look at the SQL, rerun with every statement logged.
        shell(project, TROUBLESHOOTING[3], url)
        shell(project, TROUBLESHOOTING[6], url)
        assert "CREATE TABLE users" in shell(project, TROUBLESHOOTING[7], url).stdout
        verbose = shell(project, TROUBLESHOOTING[8], url).stderr
        assert "INSERT INTO user_preferences" in verbose and "UPDATE alembic_version" in verbose

        # "Multiple heads": two branches from the current head, merged.
        initial = revision_files(project)[-1].name.split("_")[2]
        shell(project, 'alembic revision -m "branch a"', url)
        shell(project, f'alembic revision -m "branch b" --head {initial} --splice', url)
        heads = shell(project, TROUBLESHOOTING[4], url).stdout.split()
        heads = [word for word in heads if re.fullmatch(r"[0-9a-f]{12}", word)]
        assert len(heads) == 2
        shell(project, TROUBLESHOOTING[5].replace("head1 head2", " ".join(heads)), url)
        assert len(shell(project, TROUBLESHOOTING[4], url).stdout.strip().splitlines()) == 1

        # "Target database is not up to date": see what is pending, then apply it.
        assert initial in shell(project, TROUBLESHOOTING[0], url).stdout
        pending = shell(project, TROUBLESHOOTING[1], url).stdout
        assert "(current)" in pending and "branch a" in pending and "Merge branches" in pending
        assert shell(project, TROUBLESHOOTING[2], url, check=False).returncode != 0
        shell(project, TROUBLESHOOTING[3], url)
        assert shell(project, TROUBLESHOOTING[2], url).returncode == 0


def test_the_guides_verbose_flag_is_refused_and_the_readme_says_so(bake):
    project = bake("default")
    result = shell(project, "alembic upgrade head -v", check=False)
    assert result.returncode == 2 and "unrecognized arguments: -v" in result.stderr
    assert "`alembic upgrade head -v` does not exist" in (project / "README.md").read_text()


def test_readme_shows_only_tested_alembic_commands(bake):
    readme = (bake("default") / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    shown = {
        line.split("#")[0].strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip().startswith("alembic ")
    }
    tested = {*EVERYDAY, *TESTING, *TROUBLESHOOTING, *TEMPLATES, *TENANTS}
    untested = shown - tested
    assert not untested, f"README commands without a test: {sorted(untested)}"
    assert shown, "found no alembic commands in the README"
    assert all(shlex.split(command) for command in shown)
