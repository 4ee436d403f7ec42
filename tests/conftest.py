"""Fixtures shared by the template's tests: databases and baked projects; automatic markers."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from . import databases
from .corpus import Case
from .databases import DATABASES, SERVER_VARIABLES, throwaway_database
from .projects import answers

# Scenario projects the tests copy and run; not tests themselves.
collect_ignore = ["examples"]

# Parameters and fixtures that name the database a test runs on.
DATABASE_PARAMETERS = ("database_kind", "kind")
# Fixtures that install packages from PyPI (test_package.py builds and installs the wheel).
NETWORK_FIXTURES = ("installed",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the server its parameters name, and with network where it
    installs from PyPI, so `-m "not mysql"` or `-m "not network"` deselects exactly those.

    Both MySQL and PyPI make a test slow: MariaDB's DDL is the slowest of the three
    databases (and its cases repeat what SQLite and PostgreSQL check), and an install
    takes seconds. `-m "not slow"` runs the rest, in a minute or less.
    """
    for item in items:
        params = getattr(item, "callspec", None)
        for name in DATABASE_PARAMETERS:
            kind = params.params.get(name) if params else None
            if kind in SERVER_VARIABLES:
                item.add_marker(kind)
        if any(name in item.fixturenames for name in NETWORK_FIXTURES):
            item.add_marker("network")
        if item.get_closest_marker("mysql") or item.get_closest_marker("network"):
            item.add_marker("slow")


@pytest.fixture(autouse=True)
def _servers_need_a_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let databases.server_url refuse a server this test is not marked for."""
    databases.MARKED_SERVERS = {mark.name for mark in request.node.iter_markers()}
    yield
    databases.MARKED_SERVERS = None


@pytest.fixture(params=DATABASES)
def database_kind(request: pytest.FixtureRequest) -> str:
    """Each of the three supported databases in turn."""
    return request.param


@pytest.fixture
def database_url(database_kind: str, tmp_path) -> Iterator[URL]:
    """An empty throwaway database of `database_kind`, dropped after the test."""
    with throwaway_database(database_kind, tmp_path) as url:
        yield url


def fingerprint(project: Path) -> dict[str, str]:
    """A hash of every file of a project; bytecode caches are Python's, not changes."""
    return {
        path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="session")
def baked_projects() -> dict[str, tuple[Path, dict[str, str]]]:
    """Each session bake by option set: its path and its files' fingerprint when baked."""
    return {}


@pytest.fixture(scope="session")
def bake(cookies_session, baked_projects) -> Callable[[str], Path]:
    """Bake an option set of projects.OPTION_SETS once per session; returns its path.

    Tests must not change the returned project: copy it first (see `project_copy`).
    A test that does fails at teardown, naming the files it changed.
    """

    def bake_once(option_set: str) -> Path:
        if option_set not in baked_projects:
            result = cookies_session.bake(extra_context=answers(option_set))
            assert result.exit_code == 0, f"{option_set} did not bake: {result.exception!r}"
            project = Path(result.project_path)
            baked_projects[option_set] = (project, fingerprint(project))
        return baked_projects[option_set][0]

    return bake_once


@pytest.fixture(autouse=True)
def _bakes_stay_as_baked(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that changed a shared bake: the next test would see its changes."""
    yield
    if "bake" not in request.fixturenames:
        return
    baked_projects = request.getfixturevalue("baked_projects")
    for option_set, (project, baked) in baked_projects.items():
        now = fingerprint(project)
        changed = sorted(
            name for name in baked.keys() | now.keys() if baked.get(name) != now.get(name)
        )
        baked_projects[option_set] = (project, now)  # report it once, at the test that did it
        assert not changed, f"changed the shared {option_set} bake, {changed}: use project_copy"


@pytest.fixture
def project_copy(bake, tmp_path) -> Callable[[str], Path]:
    """A private copy of a baked option set, for a test that changes files in it."""

    def copy(option_set: str) -> Path:
        target = tmp_path / option_set
        shutil.copytree(bake(option_set), target)
        return target

    return copy


@pytest.fixture
def corpus_case(request, project_copy, tmp_path) -> Iterator[Case]:
    """The default project without its example revisions, and an empty database."""
    name, kind = request.node.callspec.params["name"], request.node.callspec.params["kind"]
    project = project_copy("default")
    for revision in (project / "migrations" / "versions").glob("*.py"):
        revision.unlink()
    with throwaway_database(kind, tmp_path) as url:
        yield Case(name, kind, project, url)
