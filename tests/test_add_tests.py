"""`alembic-template add-tests` gives an existing repository the generated test suite.

The repository is what `alembic init` makes (the generic template) with two hand-written
revisions; the second one's downgrade calls `op.drop_constraint(None, ...)`, as
autogenerate writes without a naming convention. After add-tests, the repository's own
`pytest` runs against TEST_DATABASE_URL as a generated project's does, and names it.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from alembic_template.cli import main
from alembic_template.templates import migrations_dir

from .databases import server_url
from .projects import ROOT, run

TEMPLATE_TESTS = ROOT / "{{cookiecutter.project_slug}}" / "tests"
SQUAWK_TOML = "{% if cookiecutter.database == 'postgresql' %}.squawk.toml{% endif %}"
USERS_AND_AWARDS = '''"""Users and their awards."""

import sqlalchemy as sa
from alembic import op

revision = "aaaa00000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
    )
    op.create_table(
        "awards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")),
    )


def downgrade() -> None:
    op.drop_table("awards")
    op.drop_table("users")
'''
AWARD_GIVER = '''"""Who gave each award."""

import sqlalchemy as sa
from alembic import op

revision = "bbbb00000002"
down_revision = "aaaa00000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("awards") as batch:  # SQLite copies the table
        giver = sa.ForeignKey("users.id", name="fk_awards_giver")
        batch.add_column(sa.Column("giver_id", sa.Integer(), giver))


def downgrade() -> None:
    # What autogenerate writes without a naming convention: there is no name to drop.
    op.drop_constraint(None, "awards", type_="foreignkey")
    op.drop_column("awards", "giver_id")
'''
BROKEN = "bbbb00000002"
# The lines add-tests says to add to a stock env.py, as its user would add them.
ENV_PY_IMPORT = "import os\n"
ENV_PY_URL = (
    'if os.environ.get("DATABASE_URL"):\n'
    '    config.set_main_option("sqlalchemy.url", os.environ["DATABASE_URL"].replace("%", "%%"))\n'
)


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository made with `alembic init migrations`, and two hand-written revisions;
    the working directory of the test."""
    repository = tmp_path / "shop"
    repository.mkdir()
    monkeypatch.chdir(repository)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    init = Config(str(repository / "alembic.ini"), stdout=io.StringIO())
    command.init(init, str(repository / "migrations"), template="generic")
    versions = repository / "migrations" / "versions"
    versions.mkdir(exist_ok=True)
    (versions / "aaaa00000001_users_and_awards.py").write_text(USERS_AND_AWARDS)
    (versions / "bbbb00000002_award_giver.py").write_text(AWARD_GIVER)
    return repository


@dataclass
class Result:
    returncode: int
    stdout: str


def add_tests(*arguments: str) -> Result:
    """`alembic-template add-tests ARGUMENTS` in the working directory, in this process."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
        try:
            main(["add-tests", *arguments])
        except SystemExit as exit:
            return Result(exit.code if isinstance(exit.code, int) else 1, stdout.getvalue())
    return Result(0, stdout.getvalue())


def output(result) -> str:
    return result.stdout + (getattr(result, "stderr", None) or "")


def follow_the_env_py_note(repository: Path, result: Result) -> None:
    """Add the lines add-tests asks for to the stock env.py, as its user would."""
    assert "env.py connects to sqlalchemy.url alone" in result.stdout, output(result)
    assert ENV_PY_URL.splitlines()[1].strip() in result.stdout, output(result)
    env_py = repository / "migrations" / "env.py"
    text = env_py.read_text()
    anchor = "config = context.config\n"
    env_py.write_text(ENV_PY_IMPORT + text.replace(anchor, anchor + ENV_PY_URL, 1))


def template_names(kind: str) -> set[str]:
    """The files of the template's tests/ a repository on `kind` gets."""
    names = set()
    for path in TEMPLATE_TESTS.iterdir():
        if not path.is_file() or path.suffix == ".pyc":
            continue
        condition = re.match(r"\{% if (.+?) %\}(.+?)\{% endif %\}$", path.name)
        if condition is None:
            names.add(path.name)
        elif condition[1] == f"cookiecutter.database == '{kind}'":
            names.add(condition[2])
    return names


def written(repository: Path) -> set[str]:
    return {path.name for path in (repository / "tests").glob("*.py")}


# --- writing the files -----------------------------------------------------------------


def test_it_writes_the_suite_then_refuses_to_overwrite_it(repository):
    result = add_tests("--database", "sqlite")
    assert result.returncode == 0, output(result)
    assert written(repository) == template_names("sqlite")
    assert not (repository / ".squawk.toml").exists()
    for path in (repository / "tests").glob("*.py"):
        assert "{{" not in path.read_text() and "{%" not in path.read_text(), path.name
    assert "pip install 'pytest>=8.1,<9' 'pytest-alembic>=" in result.stdout, output(result)
    assert "squawk" not in result.stdout

    conftest = repository / "tests" / "conftest.py"
    conftest.write_text("# the team's own\n")
    result = add_tests("--database", "sqlite")
    assert result.returncode != 0
    (line,) = output(result).strip().splitlines()
    assert "tests/conftest.py" in line and "tests/revisions.py" in line, line
    assert "tests/__init__.py" not in line, "an existing package marker is kept, not refused"
    assert line.endswith("move them aside, or run add-tests --force to overwrite them"), line
    assert conftest.read_text() == "# the team's own\n"

    result = add_tests("--database", "sqlite", "--force")
    assert result.returncode == 0, output(result)
    assert conftest.read_text() == (TEMPLATE_TESTS / "conftest.py").read_text()


def test_postgresql_gets_squawk_and_its_driver(repository):
    result = add_tests("--database", "postgresql")
    assert result.returncode == 0, output(result)
    assert written(repository) == template_names("postgresql")
    assert "test_squawk.py" in written(repository)
    squawk_rules = ROOT / "{{cookiecutter.project_slug}}" / SQUAWK_TOML
    assert (repository / ".squawk.toml").read_text() == squawk_rules.read_text()
    assert "'squawk-cli>=2.70,<3' 'psycopg[binary]>=3.1,<4'" in result.stdout, output(result)
    assert "TEST_DATABASE_URL=" in result.stdout
    assert f"SQUAWK_START_AFTER={BROKEN} pytest tests" in result.stdout, output(result)


def test_the_database_comes_from_sqlalchemy_url(repository):
    ini = repository / "alembic.ini"
    placeholder = "driver://user:pass@localhost/dbname"
    ini.write_text(ini.read_text().replace(placeholder, "mysql+pymysql://u:secret@db/shop"))
    result = add_tests()
    assert result.returncode == 0, output(result)
    assert " on mysql" in result.stdout, output(result)
    assert "'PyMySQL>=1.1,<2'" in result.stdout
    assert "secret" not in output(result)


@pytest.mark.parametrize(
    ("env_py_lines", "ini_option", "package"),
    [
        ("from shop.models import Base\ntarget_metadata = Base.metadata\n", "", "shop"),
        ("import shop.db as db\ntarget_metadata = db.metadata\n", "", "shop"),
        ("", "target_metadata = shop_app.models:metadata, plugins.x:metadata\n", "shop_app"),
        ("", "", ""),
    ],
    ids=["from-import", "import-as", "config-option", "none"],
)
def test_the_application_package_comes_from_the_models(
    repository, env_py_lines, ini_option, package
):
    env_py = repository / "migrations" / "env.py"
    env_py.write_text(env_py.read_text().replace("target_metadata = None\n", env_py_lines))
    ini = repository / "alembic.ini"
    ini.write_text(ini.read_text().replace("[alembic]\n", f"[alembic]\n{ini_option}", 1))
    result = add_tests("--database", "sqlite")
    assert result.returncode == 0, output(result)
    revisions = (repository / "tests" / "revisions.py").read_text()
    assert f'APPLICATION_PACKAGE = "{package}"' in revisions
    assert ("give --package NAME" in result.stdout) == (not package)


# --- bad input: one line ----------------------------------------------------------------


def test_no_alembic_configuration_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = add_tests()
    assert result.returncode != 0
    (line,) = output(result).strip().splitlines()
    assert line == (
        "FAILED: add-tests: no alembic configuration here (alembic.ini, or pyproject.toml "
        "with [tool.alembic]): run it where that is, or give -c path/to/alembic.ini"
    )


def test_an_unknown_database_is_one_line(repository):
    result = add_tests()
    assert result.returncode != 0
    (line,) = output(result).strip().splitlines()
    assert line.endswith("give --database postgresql, mysql or sqlite"), line
    assert not (repository / "tests").exists()


def test_flask_migrate_without_script_location_is_one_line(tmp_path, monkeypatch):
    """Flask-Migrate's alembic.ini, in migrations/, has no script_location: say what to add."""
    monkeypatch.chdir(tmp_path)
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "alembic.ini").write_text("[alembic]\n\n[loggers]\nkeys = root\n")
    (migrations / "env.py").write_text("")
    result = add_tests("-c", "migrations/alembic.ini", "--database", "sqlite")
    assert result.returncode != 0
    (line,) = output(result).strip().splitlines()
    assert "add `script_location = %(here)s` under [alembic]" in line, line


# --- the repository's own pytest --------------------------------------------------------


@pytest.mark.slow  # the repository's whole suite: 15 s on SQLite, 40 s on a server
@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_the_repository_suite_runs_and_names_the_broken_downgrade(repository, tmp_path, kind):
    result = add_tests("--database", kind)
    assert result.returncode == 0, output(result)
    follow_the_env_py_note(repository, result)
    server = "" if kind == "sqlite" else server_url(kind).render_as_string(hide_password=False)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-ra"]
    command.append(f"--basetemp={tmp_path / 'inner-pytest'}")
    env = {"TEST_DATABASE_URL": server, "PYTHONDONTWRITEBYTECODE": "1"}
    result = run(repository, *command, extra_env=env, check=False)
    text = output(result)
    assert result.returncode != 0, text
    assert "test_stairway[aaaa00000001] PASSED" in text, text
    assert f"test_stairway[{BROKEN}] FAILED" in text, text
    assert f"the downgrade of {BROKEN} failed" in text, text
    assert "test_no_revision_imports_the_application PASSED" in text, text
    assert not re.search(r"^ERROR ", text, re.MULTILINE), text


def test_the_drop_in_env_py_needs_no_change(repository):
    """Our env.py reads $DATABASE_URL already: no note about it."""
    shutil.copyfile(migrations_dir() / "env.py", repository / "migrations" / "env.py")
    result = add_tests("--database", "sqlite")
    assert result.returncode == 0, output(result)
    assert "env.py connects to sqlalchemy.url alone" not in result.stdout
    first = result.stdout.splitlines()[0]
    assert (
        first
        == f"add-tests: wrote {repository / 'tests'}/ for the revisions of migrations/ on sqlite"
    )


def test_a_pyproject_configuration_and_database_url(tmp_path, monkeypatch):
    """`alembic init -t pyproject`: the options in [tool.alembic]; $DATABASE_URL names the
    database when sqlalchemy.url does not."""
    monkeypatch.chdir(tmp_path)
    init = Config(str(tmp_path / "alembic.ini"), toml_file=str(tmp_path / "pyproject.toml"))
    init.stdout = io.StringIO()
    command.init(init, str(tmp_path / "migrations"), template="pyproject")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app:secret@db/shop")
    result = add_tests()
    assert result.returncode == 0, output(result)
    assert " on postgresql" in result.stdout and "secret" not in result.stdout
    assert "test_squawk.py" in {path.name for path in (tmp_path / "tests").glob("*.py")}


@pytest.mark.parametrize(
    "option_set",
    ["default", *(pytest.param(n, marks=pytest.mark.slow) for n in ("mysql", "sqlite-pyproject"))],
)
def test_the_dependencies_are_a_generated_projects(bake, repository, option_set):
    """What add-tests says to install is what a generated project's dev extra pins."""
    kind = {"default": "postgresql", "mysql": "mysql", "sqlite-pyproject": "sqlite"}[option_set]
    result = add_tests("--database", kind)
    (line,) = [line for line in result.stdout.splitlines() if "pip install" in line]
    required = shlex.split(line.split("pip install ", 1)[1])
    pyproject = (bake(option_set) / "pyproject.toml").read_text()
    assert required and all(f'"{requirement}"' in pyproject for requirement in required), line


# --- a generated project's own tests, written again ---------------------------------------


def suite_files(project: Path) -> dict[str, str]:
    """The text of each file add-tests writes, by path: tests/*.py and .squawk.toml."""
    paths = [*(project / "tests").glob("*.py"), project / ".squawk.toml"]
    return {p.relative_to(project).as_posix(): p.read_text() for p in paths if p.is_file()}


# The first in the inner loop; the others are slow (each copies a bake).
@pytest.mark.parametrize(
    "option_set",
    [
        "default",
        *(
            pytest.param(name, marks=pytest.mark.slow)
            for name in ("postgresql-async-pyproject", "mysql", "sqlite-pyproject")
        ),
    ],
)
def test_it_writes_what_cookiecutter_writes(project_copy, monkeypatch, option_set):
    """From a generated project's configuration alone, add-tests renders the very files
    cookiecutter baked (but the example data migration's test, which is the example's)."""
    project = project_copy(option_set)
    baked = suite_files(project)
    shutil.rmtree(project / "tests")
    (project / ".squawk.toml").unlink(missing_ok=True)
    monkeypatch.chdir(project)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = add_tests()
    assert result.returncode == 0, output(result)
    assert "give --package NAME" not in result.stdout, "trading_bot comes from target_metadata"
    assert "env.py connects to sqlalchemy.url alone" not in result.stdout
    del baked["tests/test_data_migrations.py"]
    assert suite_files(project) == baked


@pytest.mark.slow
def test_a_generated_projects_suite_written_again_passes(project_copy, tmp_path, monkeypatch):
    project = project_copy("sqlite-pyproject")
    shutil.rmtree(project / "tests")
    monkeypatch.chdir(project)
    assert add_tests().returncode == 0
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    result = run(project, *command, f"--basetemp={tmp_path / 'inner'}", check=False)
    assert result.returncode == 0, output(result)


def test_a_config_among_its_revisions_gets_the_tests_in_the_folder_above(tmp_path, monkeypatch):
    """Flask-Migrate's layout: migrations/alembic.ini beside env.py. The tests go in the
    project's folder (where pytest runs), not in migrations/, and know where alembic.ini is."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    migrations = tmp_path / "migrations"
    (migrations / "versions").mkdir(parents=True)
    (migrations / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s\n")
    shutil.copyfile(migrations_dir() / "env.py", migrations / "env.py")
    result = add_tests("-c", "migrations/alembic.ini", "--database", "sqlite")
    assert result.returncode == 0, output(result)
    assert result.stdout.startswith(
        f"add-tests: wrote {tmp_path / 'tests'}/ for the revisions of migrations/ on sqlite"
    ), output(result)
    assert written(tmp_path) == template_names("sqlite")
    assert not (migrations / "tests").exists()
    revisions = (tmp_path / "tests" / "revisions.py").read_text()
    assert '\nALEMBIC_INI = PROJECT / "migrations" / "alembic.ini"\n' in revisions
