"""squash folds the history into one baseline revision (migrations/alembic_env_history.py).

Both routes: a generated project's own `python migrations/alembic_env_history.py squash`,
and the pip package's `alembic-template squash`. The baseline keeps the head's id, so a
database already at the head needs nothing; a fresh database built from it has the
history's schema; bad input ends in one line.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from .conftest import fingerprint
from .databases import throwaway_database
from .projects import MIGRATIONS, add_example, alembic, run, url_for_project

INITIAL, PREFERENCES = "0001a1e7b1d4", "0002b8c4d2e9"
HEAD = "5a0000000002"  # tests/examples/squash-history
HISTORY = "migrations/alembic_env_history.py"
NO_MOODS = {"ALEMBIC_EXCLUDE_TABLES": "moods mood_tags"}
# What a generated project declares (alembic, SQLAlchemy, a driver) and what they need.
DECLARED = ("alembic", "sqlalchemy", "mako", "markupsafe", "typing_extensions", "greenlet")


def generated_route(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """The project's own file, run by the project's Python."""
    return run(project, sys.executable, HISTORY, *args, **kwargs)


def package_route(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """The pip package's `alembic-template` command."""
    return run(project, sys.executable, "-m", "alembic_template", *args, **kwargs)


ROUTES = [pytest.param(generated_route, id="project"), pytest.param(package_route, id="package")]


def history_module() -> ModuleType:
    """The module itself, imported from the template's migrations folder."""
    if str(MIGRATIONS) not in sys.path:
        sys.path.insert(0, str(MIGRATIONS))
    return importlib.import_module("alembic_env_history")


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The FAILED line of a run that failed without a traceback."""
    both = result.stdout + result.stderr
    assert result.returncode != 0, both
    assert "Traceback" not in both, both
    (line,) = [line for line in both.splitlines() if line.startswith("FAILED:")]
    return line


def schema_lines_of(project: Path, url: URL) -> set[str]:
    """The generated tests' own picture of a schema (tests/database.py of the project)."""
    spec = importlib.util.spec_from_file_location("baked_database", project / "tests/database.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return module.schema_lines(engine)
    finally:
        engine.dispose()


def revision_files(project: Path) -> list[Path]:
    return sorted((project / "migrations" / "versions").glob("*.py"))


def module_value(path: Path, name: str) -> object:
    """A module-level assignment of a revision file, read without running it."""
    for node in ast.parse(path.read_text()).body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} has no {name}")


@pytest.mark.slow
def test_squash_keeps_head_and_a_database_at_head_needs_nothing(
    project_copy, database_url, database_kind, tmp_path
):
    project = project_copy("default")
    add_example(project, "squash-history")
    alembic(project, "upgrade", "head", url=database_url)
    alembic(project, "check", url=database_url, extra_env=NO_MOODS)
    at_head = schema_lines_of(project, database_url)

    result = generated_route(project, "squash", "-m", "baseline", url=database_url)

    (baseline,) = revision_files(project)
    assert baseline.name.endswith(f"_{HEAD}_baseline.py"), result.stdout
    assert module_value(baseline, "revision") == HEAD
    assert module_value(baseline, "down_revision") is None
    assert set(module_value(baseline, "squashed_checksums")) == {
        INITIAL,
        PREFERENCES,
        "5a0000000001",
        HEAD,
    }
    docstring = ast.get_docstring(ast.parse(baseline.read_text()))
    assert f"{PREFERENCES}  Add default preferences" in docstring  # a data migration, dropped
    assert "5a0000000001  " not in docstring  # schema revisions are carried over
    # A trigger is SQL reflection cannot see: listed, and said.
    assert f"{HEAD}  CREATE TRIGGER moods_calm BEFORE INSERT ON moods" in docstring
    assert f"does not rebuild functions, triggers, grants and the like of {HEAD}" in result.stdout
    # The database at head: nothing to run, nothing changed, nothing left to generate.
    upgraded = alembic(project, "upgrade", "head", url=database_url)
    assert "Running upgrade" not in upgraded.stderr
    assert schema_lines_of(project, database_url) == at_head
    # The models know nothing of the example's moods table: check leaves it out.
    checked = alembic(project, "check", url=database_url, extra_env=NO_MOODS)
    assert "No new upgrade operations detected" in checked.stdout
    assert f"{HEAD} (head)" in alembic(project, "current", url=database_url).stdout
    # A fresh database from the baseline alone has the history's schema.
    (tmp_path / "fresh").mkdir()
    with throwaway_database(database_kind, tmp_path / "fresh") as fresh:
        alembic(project, "upgrade", "head", url=fresh)
        assert schema_lines_of(project, fresh) == at_head
        alembic(project, "downgrade", "base", url=fresh)
        assert schema_lines_of(project, fresh) == set()
        alembic(project, "upgrade", "head", url=fresh)  # the baseline runs twice over
    # The database that was at head goes down and up through the baseline too.
    alembic(project, "downgrade", "base", url=database_url)
    alembic(project, "upgrade", "head", url=database_url)
    assert schema_lines_of(project, database_url) == at_head


@pytest.mark.slow
@pytest.mark.parametrize("option_set", ["default", "postgresql-async-pyproject"])
def test_squash_through_the_package(project_copy, tmp_path, option_set):
    """Options in alembic.ini or in pyproject.toml, a sync or an async driver."""
    project = project_copy(option_set)
    with throwaway_database("sqlite", tmp_path) as sync_url:
        url = url_for_project(sync_url, option_set)
        alembic(project, "upgrade", "head", url=url)
        result = package_route(project, "squash", url=url)
        (baseline,) = revision_files(project)
        assert f"squashed 2 revisions into {baseline.name}" in result.stdout
        assert module_value(baseline, "revision") == PREFERENCES
        alembic(project, "upgrade", "head", url=url)
        assert f"{PREFERENCES} (head)" in alembic(project, "current", url=url).stdout
    # The project's own suite passes on the baseline, once the dropped data migration's
    # own test goes with it (as the generated README says).
    (project / "tests" / "test_data_migrations.py").unlink()
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    run(project, *command, f"--basetemp={tmp_path / 'inner'}")


@pytest.mark.slow
def test_a_baseline_that_differs_is_refused_and_nothing_changes(project_copy, tmp_path):
    project = project_copy("default")
    before = fingerprint(project / "migrations" / "versions")
    # The module as it is, but rendering the baseline without its indexes.
    breaks_the_baseline = (
        "import sys\n"
        "sys.path.insert(0, 'migrations')\n"
        "import alembic_env_history as history\n"
        "render = history.upgrade_operations\n"
        "def without_indexes(schema):\n"
        "    up, down = render(schema)\n"
        "    up.ops = [o for o in up.ops if type(o).__name__ != 'CreateIndexOp']\n"
        "    return up, down\n"
        "history.upgrade_operations = without_indexes\n"
        "sys.exit(history.main(['squash']))\n"
    )
    url = sa.make_url(f"sqlite:///{tmp_path / 'unused.db'}")
    result = run(project, sys.executable, "-c", breaks_the_baseline, url=url, check=False)
    line = one_line(result)
    assert "the baseline does not rebuild the history's schema" in line
    assert "only the history has: index targets.ix_targets_user_id" in line
    assert line.endswith("no file was changed")
    assert fingerprint(project / "migrations" / "versions") == before


@pytest.mark.parametrize("route", ROUTES)
def test_squash_with_two_heads_is_one_line(project_copy, route, tmp_path):
    project = project_copy("default")
    add_example(project, "second-head")
    before = fingerprint(project / "migrations" / "versions")
    url = sa.make_url(f"sqlite:///{tmp_path / 'unused.db'}")
    line = one_line(route(project, "squash", url=url, check=False))
    assert line == (
        f"FAILED: the history has 2 heads ({PREFERENCES}, bbbb00000001): rebase one branch on "
        "the other (rebase REV) or merge them (alembic merge heads), then squash"
    )
    assert fingerprint(project / "migrations" / "versions") == before


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
def test_squash_with_no_revisions_is_one_line(project_copy, route, tmp_path):
    project = project_copy("default")
    for path in revision_files(project):
        path.unlink()
    url = sa.make_url(f"sqlite:///{tmp_path / 'unused.db'}")
    line = one_line(route(project, "squash", url=url, check=False))
    assert line == ("FAILED: there are no revisions to squash: migrations/versions/ is empty")


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
def test_squash_with_an_unreachable_database_is_one_line(project_copy, route):
    project = project_copy("default")
    before = fingerprint(project / "migrations" / "versions")
    url = sa.make_url("postgresql+psycopg://someone:s3cret-pw@127.0.0.1:1/app")
    result = route(project, "squash", url=url, check=False)
    line = one_line(result)
    assert line.startswith(
        "FAILED: cannot connect to postgresql+psycopg://someone:***@127.0.0.1:1/"
    )
    assert line.endswith("squash builds throwaway databases on that server")
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert fingerprint(project / "migrations" / "versions") == before


@pytest.mark.slow
def test_the_project_route_needs_only_the_declared_dependencies_and_no_network(
    project_copy, tmp_path
):
    """A fresh machine offline: the project's files, and alembic and SQLAlchemy, nothing else.

    `python -S` leaves out site-packages (alembic_template, pytest, ruff...); PYTHONPATH holds
    only the project's declared dependencies. Where the system allows, no network at all.
    """
    project = project_copy("default")
    site = Path(sa.__file__).resolve().parent.parent
    declared = tmp_path / "declared"
    declared.mkdir()
    for name in DECLARED:
        for source in (site / name, site / f"{name}.py"):
            if source.exists():
                (declared / source.name).symlink_to(source)
    command = [sys.executable, "-S", HISTORY, "squash"]
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"]).returncode == 0:
        command = ["unshare", "-rn", *command]
    env = {"PYTHONPATH": str(declared), "PYTHONDONTWRITEBYTECODE": "1"}
    url = sa.make_url(f"sqlite:///{tmp_path / 'app.db'}")
    probe = run(
        project, sys.executable, "-S", "-c", "import alembic_template", extra_env=env, check=False
    )
    assert probe.returncode != 0, "alembic_template is importable: the test proves nothing"
    result = run(project, *command, url=url, extra_env=env)
    (baseline,) = revision_files(project)
    assert f"squashed 2 revisions into {baseline.name}" in result.stdout


@pytest.mark.parametrize(
    ("body", "changes_rows"),
    [
        ("backfill(users, values={'x': 1})", True),
        ("op.bulk_insert(users, [{'x': 1}])", True),
        ("op.execute(sa.update(users).values(x=1))", True),
        ("op.execute(users.delete())", True),
        ("op.execute('UPDATE users SET x = 1')", True),
        ("op.get_bind().execute(sa.text('insert into users (x) values (1)'))", True),
        ("op.execute('CREATE INDEX ix ON users (x)')", False),
        ("options = {}\n    options.update({'a': 1})", False),
        ("op.add_column('users', sa.Column('x', sa.Integer()))", False),
    ],
)
def test_data_migrations_are_told_by_what_they_call(tmp_path, body, changes_rows):
    revision = tmp_path / "revision.py"
    revision.write_text(f"def upgrade():\n    {body}\n")
    assert history_module().changes_rows(revision) is changes_rows


@pytest.mark.slow
def test_a_stock_env_py_builds_the_scratch_database_never_the_configured_one(tmp_path):
    """`alembic-template squash` in a plain `alembic init` project, whose env.py reads
    sqlalchemy.url and knows nothing of a handed-over engine."""
    run(tmp_path, sys.executable, "-m", "alembic", "init", "migrations")
    ini = tmp_path / "alembic.ini"
    configured = tmp_path / "app.db"
    text = ini.read_text().replace(
        "sqlalchemy.url = driver://user:pass@localhost/dbname",
        f"sqlalchemy.url = sqlite:///{configured}",
    )
    ini.write_text(text)
    run(
        tmp_path,
        sys.executable,
        "-m",
        "alembic",
        "revision",
        "-m",
        "things",
        "--rev-id",
        "111111111111",
    )
    (revision,) = (tmp_path / "migrations" / "versions").glob("*.py")
    source = revision.read_text()
    source = source.replace(
        '"""Upgrade schema."""\n    pass',
        'op.create_table("things", sa.Column("id", sa.Integer, primary_key=True))',
    )
    source = source.replace('"""Downgrade schema."""\n    pass', 'op.drop_table("things")')
    revision.write_text(source)

    result = package_route(tmp_path, "squash")

    assert "squashed 1 revision into 111111111111_baseline.py" in result.stdout
    (baseline,) = (tmp_path / "migrations" / "versions").glob("*.py")
    assert "op.create_table('things'," in baseline.read_text()
    assert not configured.exists(), "the squash ran the history on the configured database"
