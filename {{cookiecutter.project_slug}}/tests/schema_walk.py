"""One database walked forward through the history, each revision's round trip taken once.

A round trip is a revision's upgrade, its downgrade and its upgrade again, with the schema
read before the upgrade and after the downgrade. test_stairway and
test_downgrade_leaves_no_trace both check it, so it is taken once per revision and kept.

In the order of revisions.py, each round trip starts where the one before ended: the
database already holds exactly what the revision needs (its down revisions and
dependencies), so the whole history costs three migration steps per revision. A round
trip that finds the database elsewhere (a test run alone with `-k`, out of order, on
another xdist worker, or after a failure) gets a new empty database and upgrades it
explicitly to the revisions it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass

from alembic.script import Script
from pytest_alembic import MigrationContext
from sqlalchemy.engine import Engine

from .cached_schema import CachedSchema
from .revisions import prerequisites

# A new empty database: pytest-alembic's runner on it, and an engine to read its schema.
OpenDatabase = Callable[[], AbstractContextManager[tuple[MigrationContext, Engine]]]


@dataclass
class RoundTrip:
    """What one revision's upgrade, downgrade and upgrade again came to."""

    revision: str
    failure: str | None = None  # the step that failed, and why
    not_checked: str | None = None  # an earlier failure left no way to reach the revision
    before: set[str] | None = None  # the schema before the upgrade
    after: set[str] | None = None  # the schema after the upgrade and the downgrade


class StepFailed(Exception):
    """A migration command failed; the database is in a state nobody knows."""


class SchemaWalk:
    """A database taken through every revision's round trip, in the order it is asked for."""

    def __init__(self, scripts: list[Script], open_database: OpenDatabase) -> None:
        self.scripts = {script.revision: script for script in scripts}
        self.open_database = open_database
        self.database = ExitStack()
        self.runner: MigrationContext | None = None
        self.engine: Engine | None = None
        self.applied: frozenset[str] | None = None  # None: unknown, start over
        self.round_trips: dict[str, RoundTrip] = {}
        # Sets of revisions that could not be reached, and why: nothing needing them is tried.
        self.unreachable: list[tuple[frozenset[str], str]] = []
        self.ancestry = ancestry(scripts)
        self.schema = CachedSchema()  # each table read again only once it changed

    def close(self) -> None:
        """Drop the database the walk holds."""
        self.database.close()

    def round_trip(self, revision: str) -> RoundTrip:
        """The revision's round trip, taken now unless an earlier test took it."""
        if revision not in self.round_trips:
            self.round_trips[revision] = self.take(self.scripts[revision])
        return self.round_trips[revision]

    def take(self, script: Script) -> RoundTrip:
        """Move to just before the revision, then take its round trip."""
        revision, needs = script.revision, prerequisites(script)
        wanted = self.with_ancestors(needs)
        for missing, reason in self.unreachable:
            if missing <= wanted:
                return RoundTrip(revision, not_checked=f"not checked: {reason}")
        try:
            where = ", ".join(needs) or "base"
            self.move_to(needs, f"migrating to {where}, just before {revision}, failed")
        except StepFailed as failed:
            self.unreachable.append((wanted, str(failed)))
            return RoundTrip(revision, failure=str(failed))
        return self.there_and_back(script, wanted)

    def there_and_back(self, script: Script, wanted: frozenset[str]) -> RoundTrip:
        """Upgrade, downgrade and upgrade again, from a database holding exactly `wanted`."""
        revision, upgraded = script.revision, wanted | {script.revision}
        # Explicit revisions, not "one step": a merge goes back to both of its parents.
        back = prerequisites(script)[0] if script.down_revision else "base"
        trip = RoundTrip(revision, before=self.schema.schema_lines(self.active_engine()))
        try:
            self.migrate("upgrade", revision, upgraded, f"the upgrade of {revision} failed")
        except StepFailed as failed:
            self.unreachable.append((upgraded, f"the upgrade of {revision} failed"))
            trip.failure = str(failed)
            return trip
        again = f"{revision} upgrades, downgrades, then fails to upgrade again"
        try:
            self.migrate("downgrade", back, wanted, f"the downgrade of {revision} failed")
            trip.after = self.schema.schema_lines(self.active_engine())
            self.migrate("upgrade", revision, upgraded, again)
        except StepFailed as failed:
            trip.failure = str(failed)
        return trip

    def move_to(self, needs: tuple[str, ...], failure: str) -> None:
        """Leave the database holding exactly `needs` and what they need, going forward only."""
        wanted = self.with_ancestors(needs)
        if self.applied is None or not self.applied <= wanted:
            self.start_over()
        for name in needs:
            applied = self.applied or frozenset()
            if name not in applied:
                self.migrate("upgrade", name, applied | self.ancestry[name], failure)

    def migrate(self, command: str, revision: str, applied: frozenset[str], failure: str) -> None:
        """Upgrade or downgrade to `revision`, after which the database holds `applied`.

        If the command fails, StepFailed says `failure` and why, and the walk starts over.
        """
        runner = self.runner
        assert runner is not None, "the walk has no database: move_to() first"
        self.applied = None  # until the command is known to have finished
        try:
            getattr(runner.command_executor, command)(revision)
        except Exception as error:
            reason = str(error).strip() or type(error).__name__
            raise StepFailed(f"{failure}: {reason}") from None
        self.applied = applied

    def start_over(self) -> None:
        """Drop the database and take a new, empty one."""
        self.applied = None  # until the new one is there
        self.database.close()
        self.database = ExitStack()
        self.runner, self.engine = self.database.enter_context(self.open_database())
        self.applied = frozenset()

    def active_engine(self) -> Engine:
        assert self.engine is not None, "the walk has no database: move_to() first"
        return self.engine

    def with_ancestors(self, names: tuple[str, ...]) -> frozenset[str]:
        return frozenset().union(*(self.ancestry[name] for name in names))


def ancestry(scripts: list[Script]) -> dict[str, frozenset[str]]:
    """Each revision with every revision it needs, itself included."""
    needs = {script.revision: prerequisites(script) for script in scripts}
    found: dict[str, frozenset[str]] = {}
    for revision in needs:
        pending = [revision]
        while pending:  # depth first, without recursion: histories run to hundreds
            name = pending[-1]
            missing = [parent for parent in needs[name] if parent not in found]
            if missing:
                pending.extend(missing)
                continue
            pending.pop()
            found[name] = frozenset({name}).union(*(found[parent] for parent in needs[name]))
    return found
