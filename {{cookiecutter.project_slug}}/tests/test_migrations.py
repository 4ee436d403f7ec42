"""The migration history, run on a real database.

pytest-alembic's built-in tests check that there is one head, that the history upgrades,
that the models match what the revisions build, and that every downgrade runs. Our own
tests then take each revision in turn, on one database walked forward through the history
(schema_walk.py): its upgrade, downgrade and upgrade again, once per revision.
"""

from __future__ import annotations

import pytest
from pytest_alembic import MigrationContext
from pytest_alembic import tests as builtin

from .revisions import revision_params, revision_scripts
from .schema_walk import RoundTrip, SchemaWalk

test_upgrade = builtin.test_upgrade
test_model_definitions_match_ddl = builtin.test_model_definitions_match_ddl
test_up_down_consistency = builtin.test_up_down_consistency

each_revision = pytest.mark.parametrize("revision", revision_params())
# Under `--dist loadgroup` one xdist worker walks the history; otherwise each walks its own.
walked = pytest.mark.xdist_group("schema_walk")


def test_single_head_revision(alembic_runner: MigrationContext) -> None:
    """One head: two would mean two branches that nobody merged (`alembic merge heads`)."""
    if not revision_scripts():
        pytest.skip("no revisions yet in migrations/versions/")
    builtin.test_single_head_revision(alembic_runner)


def round_trip(schema_walk: SchemaWalk, revision: str) -> RoundTrip:
    """The revision's round trip; a revision an earlier failure left unreachable is skipped."""
    trip = schema_walk.round_trip(revision)
    if trip.not_checked:
        pytest.skip(trip.not_checked)
    return trip


@walked
@each_revision
def test_stairway(schema_walk: SchemaWalk, revision: str) -> None:
    """Upgrade to the revision, downgrade it, upgrade it again.

    A downgrade that forgets a table, an index or an enum type makes the second upgrade
    fail, here, on the revision that has the bug.
    """
    trip = round_trip(schema_walk, revision)
    if trip.failure:
        pytest.fail(trip.failure, pytrace=False)


@walked
@each_revision
def test_downgrade_leaves_no_trace(schema_walk: SchemaWalk, revision: str) -> None:
    """After an upgrade and its downgrade, the schema is exactly as it was before."""
    trip = round_trip(schema_walk, revision)
    if trip.before is None or trip.after is None:
        pytest.fail(trip.failure or f"{revision} was not migrated", pytrace=False)
    left_behind, not_restored = sorted(trip.after - trip.before), sorted(trip.before - trip.after)
    assert not left_behind and not not_restored, (
        f"the downgrade of {revision} does not undo its upgrade: "
        f"left behind {left_behind}, not restored {not_restored}"
    )
