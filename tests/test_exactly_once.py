"""backfill() changes each row exactly once on every path, on PostgreSQL and MariaDB.

Each scenario revision (tests/examples/) counts every row of items in committed batches
(counter + 1, version + 1) and is interrupted: env.py's retry after a lock timeout,
SIGKILL at each point of upgrade(), a terminated connection. A plain rerun must then
leave every row changed once: `version` counts the changes each row went through.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from .databases import throwaway_database
from .projects import add_example, alembic
from .schema import snapshot
from .test_busy_database import in_background, long_transaction, wait_until_ddl_queues

pytestmark = pytest.mark.slow  # each scenario runs alembic two or three times, seconds each

KINDS = ("postgresql", "mysql")
ROWS = 3000
BEFORE = "0002b8c4d2e9"  # the baked project's example revisions end here
REVISION = "aaaa00000001"  # each scenario's revision, the new head
# Where upgrade() of a killable scenario stops (tests/examples/pause-points).
POINTS = ("before", "during", "after", "end")
# The rows a kill at each point leaves changed: none, some, all, all.
CHANGED_WHEN_KILLED = {
    "before": range(1),
    "during": range(1, ROWS),
    "after": range(ROWS, ROWS + 1),
    "end": range(ROWS, ROWS + 1),
}
# The connections a test terminates while the batches run: the migration's, the batch
# connections (backfill()'s workers, and its own), all of them, or one worker's.
TARGETS = ("migration", "batch", "both", "one-worker")

items = sa.Table(
    "items",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("counter", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
tally = sa.Table("tally", items.metadata, sa.Column("runs", sa.Integer, nullable=False))
progress = sa.table("alembic_backfill_progress")


def cases(action: str, variants: tuple[str, ...]) -> list:
    """(variant, kind) parameters with ids like kill-during-on-mysql."""
    return [
        pytest.param(variant, kind, id=f"{action}-{variant}-on-{kind}")
        for variant in variants
        for kind in KINDS
    ]


def on_each_server(action: str) -> list:
    """kind parameters with ids like lock-retry-on-postgresql."""
    return [pytest.param(kind, id=f"{action}-on-{kind}") for kind in KINDS]


def engine(url: URL) -> sa.engine.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def prepared(project_copy: Callable[[str], Path], url: URL, *examples: str) -> Path:
    """A copy of the default project with the scenarios laid over it, its database at
    BEFORE, with items (ROWS rows at counter 0, version 0) and tally (runs 0)."""
    project = project_copy("default")
    for example in examples:
        add_example(project, example)
    alembic(project, "upgrade", BEFORE, url=url)
    with engine(url).begin() as connection:
        items.metadata.create_all(connection)
        rows = [{"id": key, "counter": 0, "version": 0} for key in range(1, ROWS + 1)]
        connection.execute(items.insert(), rows)
        connection.execute(tally.insert().values(runs=0))
    return project


def counted(url: URL) -> Counter[tuple[int, int]]:
    """How many items have each (counter, version): {(1, 1): ROWS} when all is well."""
    with engine(url).connect() as connection:
        return Counter(
            tuple(row) for row in connection.execute(sa.select(items.c["counter", "version"]))
        )


def runs(url: URL) -> int:
    """How many times the statement after the backfill was committed."""
    with engine(url).connect() as connection:
        return connection.scalar(sa.select(tally.c.runs))


def recorded(url: URL) -> list[str]:
    """The revisions in the version table."""
    with engine(url).connect() as connection:
        return list(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))


def resume_points_left(url: URL) -> int:
    """Rows left in backfill()'s bookkeeping table (none once the revision is recorded)."""
    with engine(url).connect() as connection:
        if not sa.inspect(connection).has_table(progress.name):
            return 0
        return connection.scalar(sa.select(sa.func.count()).select_from(progress))


def failed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("FAILED:")]


def assert_done_once(url: URL, counter: int = 1, version: int = 1, head: str = REVISION) -> None:
    """The rerun's end: every row changed once per backfill, the revision recorded once."""
    assert counted(url) == {(counter, version): ROWS}
    assert recorded(url) == [head]
    assert resume_points_left(url) == 0


@dataclass
class Migration:
    """`alembic upgrade head` in a process of its own, stopping at a point of upgrade()."""

    process: subprocess.Popen
    marker: Path

    @classmethod
    @contextmanager
    def started(cls, project: Path, url: URL, directory: Path, point: str) -> Iterator[Migration]:
        """Start it; kill it on the way out if it still runs (it may hold locks for 2 min)."""
        marker = directory / "reached.json"
        environment = dict(os.environ)
        environment.update(
            DATABASE_URL=url.render_as_string(hide_password=False),
            SCENARIO_PAUSE_AT=point,
            SCENARIO_MARKER=str(marker),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=project,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            yield cls(process, marker)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()

    def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = 60) -> None:
        """Return once condition() holds; fail if alembic ends first, or never gets there."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                pytest.fail(f"alembic exited {self.process.returncode} before {what}:\n{out}{err}")
            assert time.monotonic() < deadline, f"alembic never got to {what}"
            time.sleep(0.05)

    def arrival(self, point: str) -> int:
        """Wait until upgrade() reaches `point`; the id of the migration's connection."""
        self.wait_for(f"the point {point!r} of upgrade()", self.marker.exists)
        reached = json.loads(self.marker.read_text())
        assert reached["point"] == point
        return reached["connection"]

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback from the client's side."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.communicate(timeout=60)
        assert self.process.returncode == -signal.SIGKILL, "alembic ended before the kill"

    def failure(self) -> str:
        """Wait for the process to fail; its one FAILED: line."""
        out, err = self.process.communicate(timeout=120)
        assert self.process.returncode != 0, f"the interrupted run succeeded:\n{out}{err}"
        failed = failed_lines(out + err)
        assert len(failed) == 1, f"not one FAILED: line but {len(failed)}:\n{out}{err}"
        return failed[0]


def a_third_at(url: URL, counter: int, version: int) -> Callable[[], bool]:
    """A condition: a third of the rows or more at (counter, version), the batches midway."""
    return lambda: counted(url)[(counter, version)] >= ROWS // 3


def other_connections(connection: sa.engine.Connection, url: URL, migration: int) -> list[int]:
    """Connections to the test database but this one and a lock connection of the migrator
    other than its migration's (the advisory lock on PostgreSQL, GET_LOCK('alembic:
    <database>') on MySQL), oldest first: a backfill's workers connect last."""
    if url.get_backend_name() == "postgresql":
        query = (
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            f" AND pid <> pg_backend_pid() AND (pid = {int(migration)}"
            " OR pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory'))"
            " ORDER BY backend_start, pid"
        )
    else:
        query = (
            "SELECT id FROM information_schema.processlist WHERE db = DATABASE()"
            f" AND id <> CONNECTION_ID() AND (id = {int(migration)}"
            f" OR id <> COALESCE(IS_USED_LOCK('alembic:{url.database}'), 0)) ORDER BY id"
        )
    return list(connection.exec_driver_sql(query).scalars())


def terminate(connection: sa.engine.Connection, url: URL, connection_ids: set[int]) -> None:
    """End other sessions from the server's side, as an administrator would."""
    for connection_id in connection_ids:
        if url.get_backend_name() == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(connection_id)})")
        else:
            connection.exec_driver_sql(f"KILL {int(connection_id)}")


@pytest.mark.parametrize("kind", on_each_server("lock-retry"))
def test_a_lock_retry_of_the_revision_skips_its_finished_backfill(project_copy, tmp_path, kind):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "backfill-then-locked-column")
        retrying = {"ALEMBIC_LOCK_TIMEOUT": "1s", "ALEMBIC_LOCK_RETRIES": "3"}
        release = threading.Event()
        with long_transaction(url, 60, release):
            migration, results = in_background(
                alembic, project, "upgrade", "head", url=url, extra_env=retrying, check=False
            )
            wait_until_ddl_queues(url)
            time.sleep(3)  # well past the 1 s lock timeout, even on a loaded machine
            release.set()
            migration.join()
        (result,) = results
        assert result.returncode == 0, result.stdout + result.stderr
        assert re.search(r"trying again in [\d.]+ s \(2 of 4\)", result.stderr)  # retried
        assert_done_once(url)


@pytest.mark.parametrize(("point", "kind"), cases("kill", POINTS))
def test_killed_at_each_point_a_rerun_changes_each_row_once(project_copy, tmp_path, point, kind):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "pause-points", "killable-backfill")
        with Migration.started(project, url, tmp_path, point) as migration:
            migration.arrival(point)
            if point == "during":
                migration.wait_for("a third of the batches", a_third_at(url, 1, 1))
            migration.kill()

        left = counted(url)
        assert set(left) <= {(0, 0), (1, 1)}
        assert left[(1, 1)] in CHANGED_WHEN_KILLED[point], f"killed at the wrong point: {left}"
        assert (runs(url), recorded(url)) == (0, [BEFORE])

        alembic(project, "upgrade", "head", url=url)
        assert_done_once(url)
        assert runs(url) == 1


@pytest.mark.parametrize(("target", "kind"), cases("terminate", TARGETS))
def test_a_connection_terminated_midway_then_a_rerun_changes_each_row_once(
    project_copy, tmp_path, target, kind
):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "pause-points", "killable-backfill")
        with Migration.started(project, url, tmp_path, "during") as migration:
            migration_id = migration.arrival("during")
            migration.wait_for("a third of the batches", a_third_at(url, 1, 1))
            with engine(url).connect() as connection:
                others = other_connections(connection, url, migration_id)
                batch = set(others) - {migration_id}
                assert migration_id in others and batch, f"no batch connection among {others}"
                chosen = {
                    "migration": {migration_id},
                    "batch": batch,
                    "both": set(others),
                    "one-worker": {others[-1]},  # the newest: the last worker started
                }[target]
                terminate(connection, url, chosen)
            migration.failure()
        if target != "migration":  # the batches stopped with their connection
            assert counted(url)[(1, 1)] < ROWS, "terminated too late"
        assert recorded(url) == [BEFORE]

        alembic(project, "upgrade", "head", url=url)
        assert_done_once(url)
        assert runs(url) == 1


@pytest.mark.parametrize("kind", on_each_server("two-backfills-killed"))
def test_two_backfills_of_one_table_each_resume_from_their_own_point(project_copy, tmp_path, kind):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "pause-points", "two-backfills-one-table")
        with Migration.started(project, url, tmp_path, "during") as migration:
            migration.arrival("during")  # the first backfill is done, the second starting
            migration.wait_for("a third of the second's batches", a_third_at(url, 11, 2))
            migration.kill()
        assert set(counted(url)) == {(1, 1), (11, 2)}, "not killed midway through the second"

        alembic(project, "upgrade", "head", url=url)
        assert_done_once(url, counter=11, version=2)


@pytest.mark.parametrize("kind", on_each_server("ddl-before-backfill"))
def test_a_schema_change_before_a_backfill_is_refused_before_anything_runs(
    project_copy, tmp_path, kind
):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "ddl-before-backfill")
        schema = snapshot(url)
        result = alembic(project, "upgrade", "head", url=url, check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        failed = failed_lines(output)
        assert len(failed) == 1 and "stairway" in failed[0] and REVISION in failed[0], output
        assert snapshot(url) == schema  # no items.note, no bookkeeping table
        assert counted(url) == {(0, 0): ROWS}
        assert recorded(url) == [BEFORE]


@pytest.mark.parametrize("kind", on_each_server("safe-index-before-backfill"))
def test_a_safe_index_before_a_backfill_is_allowed(project_copy, tmp_path, kind):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "safe-index-before-backfill")
        alembic(project, "upgrade", "head", url=url)
        assert_done_once(url)
        indexes = snapshot(url)["items"]["indexes"]
        assert ("ix_items_counter", ("counter",), False) in indexes


# The n-th backfill() of a run keeps the n-th resume point, however the revision reaches
# it and wherever its line moves.


@pytest.mark.parametrize("kind", on_each_server("loop"))
def test_a_backfill_in_a_loop_changes_each_part(project_copy, tmp_path, kind):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "backfill-in-a-loop")
        alembic(project, "upgrade", "head", url=url)
        assert_done_once(url)


@pytest.mark.parametrize("kind", on_each_server("shared-helper"))
def test_backfills_through_a_shared_helper_run_in_each_revision(project_copy, tmp_path, kind):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "shared-backfill-helper")
        alembic(project, "upgrade", "head", url=url)
        assert_done_once(url, counter=11, version=2, head="aaaa00000002")


@pytest.mark.parametrize("kind", on_each_server("edited-then-rerun"))
def test_a_revision_edited_before_its_rerun_changes_each_row_once(project_copy, tmp_path, kind):
    with throwaway_database(kind, tmp_path) as url:
        project = prepared(project_copy, url, "pause-points", "killable-backfill")
        with Migration.started(project, url, tmp_path, "after") as migration:
            migration.arrival("after")
            migration.kill()
        assert counted(url) == {(1, 1): ROWS}
        # Fixing the revision after a failed run, say: its backfill() moves down a line.
        (revision,) = project.glob(f"migrations/versions/*_{REVISION}_*.py")
        first_line = '    reached("before")\n'
        source = revision.read_text()
        edited = source.replace(first_line, "    # Reviewed.\n" + first_line, 1)
        assert edited != source
        revision.write_text(edited)

        alembic(project, "upgrade", "head", url=url)
        assert_done_once(url)
        assert runs(url) == 1
