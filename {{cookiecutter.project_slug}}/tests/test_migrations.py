"""The migration history, run on a real database.

pytest-alembic's built-in tests check that there is one head, that the history upgrades,
that the models match what the revisions build, and that every downgrade runs. Two walks of
our own then take each revision in turn.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_alembic import MigrationContext
from pytest_alembic import tests as builtin
from sqlalchemy.engine import Engine

from .database import schema_lines
from .revisions import revision_params, revision_scripts

test_upgrade = builtin.test_upgrade
test_model_definitions_match_ddl = builtin.test_model_definitions_match_ddl
test_up_down_consistency = builtin.test_up_down_consistency

each_revision = pytest.mark.parametrize("revision", revision_params())


def test_single_head_revision(alembic_runner: MigrationContext) -> None:
    """One head: two would mean two branches that nobody merged (`alembic merge heads`)."""
    if not revision_scripts():
        pytest.skip("no revisions yet in migrations/versions/")
    builtin.test_single_head_revision(alembic_runner)


def step(migrate: Callable[[], object], failure: str) -> None:
    """Take one migration step; if it fails, fail the test with what and why, in brief."""
    try:
        migrate()
    except Exception as error:
        reason = str(error)
    else:
        return
    pytest.fail(f"{failure}: {reason}", pytrace=False)


@each_revision
def test_stairway(alembic_runner: MigrationContext, revision: str) -> None:
    """Upgrade to the revision, downgrade one step, upgrade again.

    A downgrade that forgets a table, an index or an enum type makes the second upgrade
    fail, here, on the revision that has the bug.
    """
    alembic_runner.migrate_up_before(revision)
    alembic_runner.migrate_up_one()
    step(alembic_runner.migrate_down_one, f"the downgrade of {revision} failed")
    step(
        alembic_runner.migrate_up_one,
        f"{revision} upgrades, downgrades, then fails to upgrade again",
    )
    assert alembic_runner.current == revision


@each_revision
def test_downgrade_leaves_no_trace(
    alembic_runner: MigrationContext, alembic_engine: Engine, revision: str
) -> None:
    """After an upgrade and its downgrade, the schema is exactly as it was before."""
    alembic_runner.migrate_up_before(revision)
    before = schema_lines(alembic_engine)
    alembic_runner.migrate_up_one()
    alembic_runner.migrate_down_one()
    after = schema_lines(alembic_engine)
    left_behind, not_restored = sorted(after - before), sorted(before - after)
    assert not left_behind and not not_restored, (
        f"the downgrade of {revision} does not undo its upgrade: "
        f"left behind {left_behind}, not restored {not_restored}"
    )
