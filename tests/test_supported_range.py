"""Baked projects migrate, autogenerate and pass their own tests on the LOWEST supported versions.

The rest of the suite runs with .venv, where pip put the newest alembic and SQLAlchemy that
pyproject.toml allows. This module builds a second environment, .venv-lowest/, with the
floors of those pins (alembic 1.16.5, SQLAlchemy 2.0.0, ...), and runs the same gates with
its python: upgrade, check, downgrade, upgrade; an autogenerate round trip; the project's
own pytest suite. Each test first asserts which alembic and SQLAlchemy that python imports
in the very environment the commands get, so it cannot silently test the newest.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.version import Version

from .databases import server_url, throwaway_database
from .projects import ROOT, run
from .schema import convention_violations, snapshot
from .test_migrations import ADDED_TO_TARGETS
from .venvs import built_venv

# pip installs the floors from PyPI once per change of the pins below: ~10 s and the network.
pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.xdist_group("lowest-venv")]

# The floor of each pin, as the first release pip can install.
# - SQLAlchemy 2.0.0 ships cp310 and cp311 wheels; on a Python newer than its wheels pip
#   would build it from source (needs a compiler): raise it there to the first release with
#   wheels for that Python and say so here.
# - pytest: 8.1.0 was yanked from PyPI, so the floor of "pytest>=8.1" is 8.1.1.
# alembic 1.16.5: the generated configs need the `module` post-write hook runner (1.16.3)
# and TOML booleans in [tool.alembic] (1.16.5); earlier 1.16 releases fail `revision`.
LOWEST = {
    "alembic": "1.16.5",
    "SQLAlchemy": "2.0.0",
    "pytest": "8.1.1",
    "pytest-alembic": "0.13.1",
}
YANKED_FLOORS = {"pytest": "8.1.0"}
# The rest of a baked project's needs (drivers; ruff for the post-write hooks; squawk for
# its test_squawk.py), within the generated pyproject.toml's own ranges.
ALSO = ["psycopg[binary]>=3.1,<4", "PyMySQL>=1.1,<2", "ruff>=0.6,<1", "squawk-cli>=2.70,<3"]

GENERATED_PYPROJECT = ROOT / "{{cookiecutter.project_slug}}" / "pyproject.toml"
VERSIONS = "import alembic, sqlalchemy; print(alembic.__version__, sqlalchemy.__version__)"


def cases() -> list:
    """(option set, database): the default project (PostgreSQL) on every database, and a
    SQLite one configured in pyproject.toml on SQLite."""
    return [
        pytest.param("default", "sqlite", id="default-on-sqlite"),
        pytest.param("default", "postgresql", id="default-on-postgresql"),
        pytest.param("default", "mysql", id="default-on-mysql"),
        pytest.param("sqlite-pyproject", "sqlite", id="sqlite-pyproject-on-sqlite"),
    ]


def requirements() -> list[str]:
    """What pip installs into .venv-lowest/."""
    return [f"{name}=={version}" for name, version in LOWEST.items()] + ALSO


def floors(pyproject: Path) -> dict[str, str]:
    """The `>=` floor of each quoted requirement in a pyproject.toml (Jinja or not)."""
    pattern = r'"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?>=([0-9.]+)'
    return dict(re.findall(pattern, pyproject.read_text()))


@pytest.fixture(scope="session")
def lowest() -> Path:
    """The python of .venv-lowest/, (re)built when the pins change."""
    return built_venv(".venv-lowest", requirements())


def assert_lowest(python: Path, project: Path) -> None:
    """The python imports the lowest alembic and SQLAlchemy, in the commands' environment."""
    alembic_version, sqlalchemy_version = run(project, str(python), "-c", VERSIONS).stdout.split()
    print(f"ran with alembic {alembic_version}, SQLAlchemy {sqlalchemy_version}")
    assert (alembic_version, sqlalchemy_version) == (LOWEST["alembic"], LOWEST["SQLAlchemy"])


def alembic(python: Path, project: Path, *args: str, **kwargs):
    """`alembic ARGS` in a baked project with the lowest versions."""
    return run(project, str(python), "-m", "alembic", *args, **kwargs)


def test_the_lowest_versions_are_the_floors_of_the_pins():
    pinned = {**floors(ROOT / "pyproject.toml"), **floors(GENERATED_PYPROJECT)}
    for name, lowest in LOWEST.items():
        floor = Version(YANKED_FLOORS.get(name, pinned[name]))
        assert floor <= Version(lowest), f"{name}: {lowest} is below the pin's floor {floor}"
        if name not in YANKED_FLOORS:
            assert Version(lowest) == floor, f"{name}: the floor is {floor}, LOWEST has {lowest}"
    assert floors(GENERATED_PYPROJECT)["alembic"] == floors(ROOT / "pyproject.toml")["alembic"]


@pytest.mark.parametrize(("option_set", "kind"), cases())
def test_upgrade_check_downgrade_upgrade(lowest, bake, tmp_path, option_set, kind):
    project = bake(option_set)
    assert_lowest(lowest, project)
    with throwaway_database(kind, tmp_path) as url:
        alembic(lowest, project, "upgrade", "head", url=url)
        after_first = snapshot(url)
        assert "No new upgrade operations" in alembic(lowest, project, "check", url=url).stdout
        alembic(lowest, project, "downgrade", "base", url=url)
        assert set(snapshot(url)) <= {"alembic_version"}, "downgrade base left tables behind"
        alembic(lowest, project, "upgrade", "head", url=url)
        assert snapshot(url) == after_first
        assert "(head)" in alembic(lowest, project, "current", url=url).stdout
        assert "No new upgrade operations" in alembic(lowest, project, "check", url=url).stdout


@pytest.mark.parametrize(("option_set", "kind"), cases())
def test_autogenerate_round_trip(lowest, project_copy, tmp_path, option_set, kind):
    project = project_copy(option_set)
    assert_lowest(lowest, project)
    with throwaway_database(kind, tmp_path) as url:
        alembic(lowest, project, "upgrade", "head", url=url)
        initial = alembic(lowest, project, "heads").stdout.split()[0]
        models = project / "src" / "trading_bot" / "models" / "targets.py"
        models.write_text(models.read_text() + ADDED_TO_TARGETS)

        alembic(lowest, project, "revision", "--autogenerate", "-m", "target details", url=url)
        # The new columns, then their indexes and constraints in a revision of their own.
        written = sorted(
            (path.name for path in (project / "migrations/versions").glob("*target_details*")),
            key=lambda name: name.endswith("_indexes_and_constraints.py"),
        )
        assert [name.endswith("_indexes_and_constraints.py") for name in written] == [
            False,
            True,
        ], written
        alembic(lowest, project, "upgrade", "head", url=url)
        assert "No new upgrade operations" in alembic(lowest, project, "check", url=url).stdout
        assert convention_violations(url) == []
        alembic(lowest, project, "downgrade", "-2", url=url)
        assert initial in alembic(lowest, project, "current", url=url).stdout
        columns = {column[0] for column in snapshot(url)["targets"]["columns"]}
        assert not columns & {"sku", "category", "buyer_id"}


# The generated suite writes no revision file, so the post-write hooks never run in it.
@pytest.mark.parametrize(("option_set", "kind"), cases())
def test_the_projects_own_suite(lowest, project_copy, option_set, kind):
    project = project_copy(option_set)
    # The generated suite makes its own databases on the server TEST_DATABASE_URL names.
    server = "" if kind == "sqlite" else server_url(kind).render_as_string(hide_password=False)
    extra = {"TEST_DATABASE_URL": server}
    assert_lowest(lowest, project)
    suite = [str(lowest), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    result = run(project, *suite, extra_env=extra, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout, result.stdout[-2000:]
