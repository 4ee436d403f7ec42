"""One database walked forward through the history, proving each revision keeps the rows.

For each revision in turn: seed rows (sample_rows.py) into the database as it stands just
before it, upgrade, downgrade, compare with the rows as they were, and upgrade again to go
on to the next revision. Rows seeded before earlier revisions stay in the tables, so the
cost grows with the number of revisions, once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.script import Script
from pytest_alembic import MigrationContext
from sqlalchemy.engine import Engine

from .revisions import DELETES_ROWS, declared_row_deletion, irreversible_reason, revision_literals
from .sample_rows import RowMaker, data_tables

SHOWN = 5  # rows named per table in a failure; the count says how many more


@dataclass
class Rows:
    """A table's rows at one moment, and the columns that identify each."""

    columns: tuple[str, ...]
    key: tuple[str, ...]
    rows: list[dict[str, Any]]

    def by_key(self, columns: tuple[str, ...]) -> dict[Any, dict[str, Any]]:
        """Each row's given columns, by its key; by its whole content when there is no key."""
        found: dict[Any, dict[str, Any]] = {}
        counts: Counter = Counter()
        for row in self.rows:
            kept = {name: row[name] for name in columns}
            key = tuple(row[name] for name in self.key) if self.key else repr(kept)
            if not self.key:  # identical rows in a table without a key: count them apart
                counts[key] += 1
                key = (key, counts[key])
            found[key] = kept
        return found


Snapshot = dict[str, Rows]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table of the project, as the database holds them now."""
    found = {}
    with engine.connect() as connection:
        for table in data_tables(engine):
            key = tuple(column.name for column in table.primary_key.columns)
            rows = [dict(row) for row in connection.execute(sa.select(table)).mappings()]
            found[table.name] = Rows(tuple(table.columns.keys()), key, rows)
    return found


def shown(rows: list[dict[str, Any]]) -> str:
    lines = [f"    {row}" for row in rows[:SHOWN]]
    if len(rows) > SHOWN:
        lines.append(f"    ... and {len(rows) - SHOWN} more")
    return "\n".join(lines)


def deleted_rows(before: Snapshot, after: Snapshot) -> dict[str, dict[Any, dict]]:
    """The rows of `before` missing from `after` by key, in the tables both have.

    A row is found again by its primary key, whatever its other values became; a table the
    revision dropped, or whose key it changed, is the revision's schema change, not a loss.
    """
    lost = {}
    for name, old in before.items():
        new = after.get(name)
        if new is None or not old.key or old.key != new.key:
            continue
        now = new.by_key(old.key)
        missing = {key: row for key, row in old.by_key(old.columns).items() if key not in now}
        if missing:
            lost[name] = missing
    return lost


def changed_rows(
    before: Snapshot, after: Snapshot, kept: Snapshot
) -> tuple[dict[str, dict[Any, dict]], dict[str, list[str]]]:
    """Rows of `before` that `after` lost, and those it changed, on the columns all three have.

    `kept` is the database in between (after the upgrade): a column or table it lacks was
    removed by the revision, and what it held cannot come back.
    """
    lost: dict[str, dict[Any, dict]] = {}
    changed: dict[str, list[str]] = {}
    for name, old in before.items():
        new, middle = after.get(name), kept.get(name)
        if new is None or middle is None:
            continue
        columns = tuple(c for c in old.columns if c in new.columns and c in middle.columns)
        key = old.key if old.key and set(old.key) <= set(columns) else ()
        now = Rows(new.columns, key, new.rows).by_key(columns)
        then = Rows(old.columns, key, old.rows).by_key(columns)
        lost_here = {k: row for k, row in then.items() if k not in now}
        changed_here = [
            f"{row} is now {now[k]}" for k, row in then.items() if now.get(k, row) != row
        ]
        if lost_here:
            lost[name] = lost_here
        if changed_here:
            changed[name] = changed_here
    return lost, changed


class RowWalk:
    """A database that goes forward one revision per check, never back to empty."""

    def __init__(self, runner: MigrationContext, engine: Engine) -> None:
        self.runner = runner
        self.engine = engine
        self.maker = RowMaker(engine)
        self.stopped_at: str | None = None

    def check(self, script: Script) -> list[str]:
        """Seed rows before `script`, upgrade, downgrade, upgrade; what went wrong, if anything."""
        revision = script.revision
        if self.stopped_at:
            raise WalkStopped(f"not checked: {self.stopped_at} failed", first=False)
        previous = script.down_revision or "base"
        if self.runner.current != previous:
            self.step(lambda: self.runner.migrate_up_before(revision), f"migrating to {previous}")
        self.maker.seed(revision_literals(script))
        before = snapshot(self.engine)
        self.step(self.runner.migrate_up_one, f"the upgrade of {revision} with rows in the tables")
        upgraded = snapshot(self.engine)
        deleted = deleted_rows(before, upgraded)
        problems = [] if declared_row_deletion(script) else self.deletions(revision, deleted)
        if irreversible_reason(script) is None:
            self.step(self.runner.migrate_down_one, f"the downgrade of {revision} with rows")
            problems += self.round_trip(revision, before, upgraded, snapshot(self.engine), deleted)
            self.step(self.runner.migrate_up_one, f"the upgrade of {revision} after its downgrade")
        return problems

    def step(self, migrate: Callable[[], object], what: str) -> None:
        """Migrate; if it fails, stop the walk here and say what failed."""
        try:
            migrate()
        except Exception as error:
            self.stopped_at = what
            raise WalkStopped(f"{what} failed: {error}", first=True) from None

    def deletions(self, revision: str, deleted: dict[str, dict[Any, dict]]) -> list[str]:
        return [
            f"the upgrade of {revision} deleted rows of {table} that were there before it "
            f"({len(rows)}):\n{shown(list(rows.values()))}\n  if it means to, say why in the "
            f'revision: {DELETES_ROWS} = "why"'
            for table, rows in deleted.items()
        ]

    def round_trip(
        self, revision: str, before: Snapshot, upgraded: Snapshot, after: Snapshot, deleted: dict
    ) -> list[str]:
        """What the upgrade and downgrade of `revision` lost or changed of the rows before."""
        lost, changed = changed_rows(before, after, upgraded)
        problems = []
        for table, by_key in lost.items():
            gone = deleted.get(table, {})  # with the upgrade: declared, or named already
            rows = [row for key, row in by_key.items() if key not in gone]
            if rows:
                problems.append(
                    f"the upgrade and downgrade of {revision} lost rows of {table} that were "
                    f"there before ({len(rows)}):\n{shown(rows)}"
                )
        for table, rows in changed.items():
            problems.append(
                f"the upgrade and downgrade of {revision} changed rows of {table} ({len(rows)}):\n"
                + shown(rows)
            )
        return problems


class WalkStopped(Exception):
    """A migration step failed: the walk cannot go on to the next revision."""

    def __init__(self, message: str, *, first: bool) -> None:
        super().__init__(message)
        self.first = first  # the step that failed, rather than a revision after it
