"""Fixtures of the migration tests: a throwaway database and pytest-alembic's runner.

`pytest` migrates a new SQLite file. With TEST_DATABASE_URL naming a PostgreSQL or MySQL
server, each test creates its own database on that server and drops it afterwards; the
per-revision tests share one per module (per xdist worker), which they walk forward
through the history: test_stairway and test_downgrade_leaves_no_trace (schema_walk.py),
test_rows_survive (row_walk.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_alembic
import sqlalchemy as sa
from pytest_alembic import Config, MigrationContext
from sqlalchemy.engine import URL, Engine

from .data_migration import DataMigration
from .database import sync_url, throwaway_database
from .revisions import downgrade_floor, project_config, revision_scripts
from .row_walk import RowWalk
from .schema_walk import SchemaWalk


def pytest_configure(config: pytest.Config) -> None:
    """Known to pytest with or without pytest-xdist (the project runs with --strict-markers)."""
    config.addinivalue_line(
        "markers", "xdist_group(name): under `pytest -n N --dist loadgroup`, one worker runs them"
    )


@pytest.fixture
def test_database_url(tmp_path: Path) -> Iterator[URL]:
    """An empty database of this test's own."""
    with throwaway_database(tmp_path) as url:
        yield url


@pytest.fixture
def alembic_config() -> Config:
    """This project's alembic configuration, for pytest-alembic."""
    return Config(alembic_config=project_config(), minimum_downgrade_revision=downgrade_floor())


@pytest.fixture
def alembic_engine(test_database_url: URL) -> Iterator[Engine]:
    """The engine the tests read and write rows with (sync, also for an async project)."""
    engine = sa.create_engine(sync_url(test_database_url), poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def alembic_runner(
    alembic_config: Config, alembic_engine: Engine, test_database_url: URL
) -> Iterator[MigrationContext]:
    """pytest-alembic's runner; migrations/env.py connects to the test database itself."""
    with migration_runner(alembic_config, alembic_engine, test_database_url) as runner:
        yield runner


@pytest.fixture(scope="module")
def row_walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RowWalk]:
    """One database of test_rows_survive.py's own, walked forward one revision per test."""
    with walked_database(tmp_path_factory.mktemp("row-walk")) as (runner, engine):
        yield RowWalk(runner, engine)


@pytest.fixture(scope="module")
def schema_walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaWalk]:
    """The round trip of each revision, taken once on a database walked forward in order."""
    walk = SchemaWalk(
        revision_scripts(), lambda: walked_database(tmp_path_factory.mktemp("schema-walk"))
    )
    yield walk
    walk.close()


@contextmanager
def walked_database(directory: Path) -> Iterator[tuple[MigrationContext, Engine]]:
    """A throwaway database for a walk, pytest-alembic's runner on it, and an engine."""
    with throwaway_database(directory) as url:
        engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool)
        config = Config(alembic_config=project_config(), minimum_downgrade_revision=None)
        try:
            with migration_runner(config, engine, url) as runner:
                yield runner, engine
        finally:
            engine.dispose()


@contextmanager
def migration_runner(config: Config, engine: Engine, url: URL) -> Iterator[MigrationContext]:
    """pytest-alembic's runner, with env.py connecting through $DATABASE_URL.

    pytest-alembic would hand env.py alembic_engine, which env.py accepts, but that engine
    is synchronous even in an async project. So env.py gets none and connects through
    $DATABASE_URL once per command, as `alembic upgrade` does, with the project's own
    driver (asyncpg, aiomysql or aiosqlite where the project uses one).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
        with pytest_alembic.runner(config=config, engine=engine) as runner:
            runner.command_executor.configure(connection=None)
            yield runner


@pytest.fixture
def data_migration(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> Callable[[str], DataMigration]:
    """Start testing one data migration: `data_migration("<revision>")` (data_migration.py)."""
    return functools.partial(DataMigration, alembic_runner, alembic_engine)
