"""Fixtures shared by the template's tests: databases and baked projects."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from .databases import DATABASES, throwaway_database
from .projects import answers


@pytest.fixture(params=DATABASES)
def database_kind(request: pytest.FixtureRequest) -> str:
    """Each of the three supported databases in turn."""
    return request.param


@pytest.fixture
def database_url(database_kind: str, tmp_path) -> Iterator[URL]:
    """An empty throwaway database of `database_kind`, dropped after the test."""
    with throwaway_database(database_kind, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def bake(cookies_session) -> Callable[[str], Path]:
    """Bake an option set of projects.OPTION_SETS once per session; returns its path.

    Tests must not change the returned project: copy it first (see `project_copy`).
    """
    baked: dict[str, Path] = {}

    def bake_once(option_set: str) -> Path:
        if option_set not in baked:
            result = cookies_session.bake(extra_context=answers(option_set))
            assert result.exit_code == 0, f"{option_set} did not bake: {result.exception!r}"
            baked[option_set] = Path(result.project_path)
        return baked[option_set]

    return bake_once


@pytest.fixture
def project_copy(bake, tmp_path) -> Callable[[str], Path]:
    """A private copy of a baked option set, for a test that changes files in it."""

    def copy(option_set: str) -> Path:
        target = tmp_path / option_set
        shutil.copytree(bake(option_set), target)
        return target

    return copy
