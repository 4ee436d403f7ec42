"""backfill() changes every row exactly once, resumes after a crash, on every database."""

from __future__ import annotations

import importlib
import logging
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.util import CommandError

from .projects import EXAMPLES, MIGRATIONS

TEMPLATE = MIGRATIONS
sys.path.insert(0, str(TEMPLATE))
import alembic_env_backfill as helper  # noqa: E402  (lives beside env.py, not in a package)

ROWS = 3000
items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("counter", sa.Integer),
    sa.column("touched", sa.Integer),
)


def engine_for(url: sa.engine.URL) -> sa.engine.Engine:
    # SQLite serialises writers: let the concurrent writer wait instead of failing.
    connect_args = {"timeout": 60} if url.get_backend_name() == "sqlite" else {}
    return sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)


def create_items(url: sa.engine.URL, rows: int = ROWS, key_type: type = sa.Integer) -> None:
    """items(id, counter, touched) with `rows` rows; the key is 1..rows, or random UUIDs."""
    table = sa.Table(
        "items",
        sa.MetaData(),
        sa.Column("id", key_type, primary_key=True, autoincrement=False),
        sa.Column("counter", sa.Integer, nullable=False, server_default="0"),
        sa.Column("touched", sa.Integer, nullable=False, server_default="0"),
    )
    keys = [uuid.uuid4() if key_type is sa.Uuid else i for i in range(1, rows + 1)]
    with engine_for(url).begin() as connection:
        table.create(connection)
        if keys:
            connection.execute(table.insert(), [{"id": key} for key in keys])


def counters(url: sa.engine.URL) -> list[int]:
    with engine_for(url).connect() as connection:
        return list(connection.scalars(sa.select(items.c.counter)))


def progress_table_exists(url: sa.engine.URL) -> bool:
    with engine_for(url).connect() as connection:
        return sa.inspect(connection).has_table("alembic_backfill_progress")


@contextmanager
def migration(url: sa.engine.URL) -> Iterator[sa.engine.Connection]:
    """What env.py sets up for a revision: a migration context on a connection, and op."""
    with engine_for(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"transaction_per_migration": True})
        # As alembic runs each revision with transaction_per_migration (env.py sets it).
        with Operations.context(context), context.begin_transaction(_per_migration=True):
            yield connection


def increment(**options) -> int:
    """The non-idempotent change the tests count: counter = counter + 1."""
    return helper.backfill(items, values={"counter": items.c.counter + 1}, name="test", **options)


def test_every_row_exactly_once_while_a_writer_updates(database_url):
    create_items(database_url)
    stop = threading.Event()
    writes = []

    def writer() -> None:
        engine = engine_for(database_url)
        while not stop.is_set():
            with engine.begin() as connection:
                key = random.randint(1, ROWS)
                connection.execute(
                    sa.update(items).where(items.c.id == key).values(touched=items.c.touched + 1)
                )
            writes.append(key)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with migration(database_url):
            assert increment(batch_size=100) == ROWS
    finally:
        stop.set()
        thread.join()
    assert counters(database_url) == [1] * ROWS
    with engine_for(database_url).connect() as connection:
        assert connection.scalar(sa.select(sa.func.sum(items.c.touched))) == len(writes)
    assert writes, "the writer never got to write"
    assert not progress_table_exists(database_url)


def run_killable(url: sa.engine.URL, pause: float) -> subprocess.Popen:
    """tests/examples/killed-backfill in its own process, for the test to kill."""
    command = [sys.executable, str(EXAMPLES / "killed-backfill" / "backfill_items.py")]
    command += [str(TEMPLATE), url.render_as_string(hide_password=False), str(pause)]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow  # paced to be killed midway: seconds on every database
def test_resumes_after_a_kill_without_changing_a_row_twice(database_url):
    create_items(database_url)
    process = run_killable(database_url, pause=0.2)  # 30 batches: 6 s to catch it midway
    deadline = time.monotonic() + 60
    sqlite = database_url.get_backend_name() == "sqlite"
    while not sqlite and sum(counters(database_url)) < ROWS // 3:
        assert process.poll() is None and time.monotonic() < deadline, "never got going"
        time.sleep(0.05)
    time.sleep(0.3 if sqlite else 0)
    process.send_signal(signal.SIGKILL)
    process.wait()
    interrupted = counters(database_url)
    assert set(interrupted) <= {0, 1} and sum(interrupted) < ROWS, "killed too late"
    if not sqlite:  # PostgreSQL and MySQL keep the batches committed before the kill
        assert sum(interrupted) >= ROWS // 3 and progress_table_exists(database_url)

    rerun = run_killable(database_url, pause=0)
    assert rerun.wait(timeout=120) == 0, rerun.stderr.read()
    assert counters(database_url) == [1] * ROWS
    assert not progress_table_exists(database_url)


@pytest.mark.parametrize("workers", [1, 3])
def test_uuid_key_resumes_after_a_failure(database_url, workers):
    create_items(database_url, rows=1000, key_type=sa.Uuid)
    uuid_items = sa.table("items", sa.column("id", sa.Uuid), sa.column("counter", sa.Integer))
    batches = 0

    def failing_on_the_fourth_batch(batch):
        nonlocal batches
        batches += 1
        if batches == 4:
            raise RuntimeError("crash")
        return sa.update(uuid_items).where(batch).values(counter=uuid_items.c.counter + 1)

    def run(statement) -> int:
        with migration(database_url):
            return helper.backfill(
                uuid_items, statement=statement, batch_size=100, workers=workers, name="u"
            )

    with pytest.raises(RuntimeError, match="crash"):
        run(failing_on_the_fourth_batch)
    done_before = sum(counters(database_url))
    if database_url.get_backend_name() != "sqlite" and workers == 1:
        assert done_before == 300  # three committed batches
    elif database_url.get_backend_name() != "sqlite":
        # The other workers commit the batch they were in, then stop. That batch may be a
        # range's short last one (ranges of 333, 333 and 334 rows), so the sum need not be
        # whole hundreds (334 seen: one range done, the others not started); no row twice.
        assert 300 <= done_before < 1000, done_before
        assert set(counters(database_url)) <= {0, 1}
    total = run(
        lambda batch: sa.update(uuid_items).where(batch).values(counter=uuid_items.c.counter + 1)
    )
    assert counters(database_url) == [1] * 1000
    assert total == 1000  # the rows of both runs: the count resumes too


# Whole-number keys 1..2000, then two far jumps: adaptive batches step through the keys.
SPARSE_KEYS = [*range(1, 2001), *range(10**6, 10**6 + 2000), *range(2 * 10**9, 2 * 10**9 + 2000)]


@pytest.mark.parametrize("workers", [1, 3])
def test_adaptive_batches_over_sparse_keys_resume_after_a_failure(
    database_url, workers, monkeypatch
):
    monkeypatch.setattr(helper, "DEFAULT_BATCH_SIZE", 500)  # many batches of a small table
    with engine_for(database_url).begin() as connection:
        connection.execute(
            sa.text("CREATE TABLE items (id INTEGER PRIMARY KEY, counter INTEGER NOT NULL)")
        )
        connection.execute(items.insert(), [{"id": key, "counter": 0} for key in SPARSE_KEYS])
    batches = 0

    def failing_on_the_fifth_batch(batch):
        nonlocal batches
        batches += 1
        if batches == 5:
            raise RuntimeError("crash")
        return sa.update(items).where(batch).values(counter=items.c.counter + 1)

    def run(statement) -> int:
        with migration(database_url):
            return helper.backfill(items, statement=statement, workers=workers, name="s")

    with pytest.raises(RuntimeError, match="crash"):
        run(failing_on_the_fifth_batch)
    done_before = sum(counters(database_url))
    if database_url.get_backend_name() != "sqlite" and workers == 1:
        assert 0 < done_before < len(SPARSE_KEYS)  # committed batches stay
    else:  # (in parallel the first batches may all be of empty key ranges)
        assert done_before < len(SPARSE_KEYS)
    total = run(lambda batch: sa.update(items).where(batch).values(counter=items.c.counter + 1))
    assert counters(database_url) == [1] * len(SPARSE_KEYS)
    assert total == len(SPARSE_KEYS)
    assert not progress_table_exists(database_url)


def test_empty_table_is_done_at_once(database_url):
    create_items(database_url, rows=0)
    with migration(database_url):
        assert increment() == 0
    assert not progress_table_exists(database_url)


def test_where_limits_the_rows_and_a_rerun_finds_nothing_to_do(database_url):
    create_items(database_url, rows=500)
    pending = items.c.counter == 0
    with migration(database_url):
        changed = helper.backfill(items, values={"counter": 7}, where=pending, batch_size=64)
        again = helper.backfill(items, values={"counter": 8}, where=pending, batch_size=64)
    assert (changed, again) == (500, 0)
    assert set(counters(database_url)) == {7}


def test_progress_is_logged_with_rate_and_time_left(tmp_path, caplog):
    url = sa.make_url(f"sqlite:///{tmp_path / 'log.db'}")
    create_items(url, rows=500)
    with caplog.at_level(logging.INFO, logger="alembic.backfill"), migration(url):
        increment(batch_size=100, pause=0.3)
    messages = [record.getMessage() for record in caplog.records]
    assert any("of 500 rows" in m and "rows/s" in m and "s left" in m for m in messages)
    assert messages[-1].startswith("backfill items: 500 rows in ")
    # SQLite has one writer: the default workers fall back to one, and say so.
    assert "backfill items: 1 worker (SQLite has one writer)" in messages
    assert "workers" not in messages[-1]


def test_batches_are_sized_to_their_time_unless_a_size_is_given():
    adaptive = helper.BatchSize(None)
    assert adaptive.rows == helper.DEFAULT_BATCH_SIZE
    adaptive.after(helper.BATCH_SECONDS * 4, changed=5000)  # too slow: halve, no more
    assert adaptive.rows == helper.DEFAULT_BATCH_SIZE // 2
    adaptive.after(helper.BATCH_SECONDS / 100, changed=2500)  # fast: grow, by half at most
    assert adaptive.rows == helper.DEFAULT_BATCH_SIZE // 2 * 3 // 2
    sparse = helper.BatchSize(None)
    sparse.after(helper.BATCH_SECONDS / 100, changed=helper.MAX_BATCH_SIZE)  # rows capped
    assert sparse.rows == helper.DEFAULT_BATCH_SIZE
    fixed = helper.BatchSize(100)
    fixed.after(10.0, changed=100)
    assert fixed.rows == 100


def test_workers_must_be_a_whole_number_of_one_or_more(tmp_path):
    url = sa.make_url(f"sqlite:///{tmp_path / 'w.db'}")
    create_items(url, rows=1)
    with migration(url), pytest.raises(CommandError, match="workers=0; pass a whole number"):
        helper.backfill(items, values={"counter": 1}, workers=0)


def test_composite_or_undeclared_keys_are_refused_plainly(tmp_path):
    url = sa.make_url(f"sqlite:///{tmp_path / 'k.db'}")
    create_items(url, rows=1)
    with migration(url), pytest.raises(CommandError, match="composite; pass one unique"):
        helper.backfill(items, values={"counter": 1}, key=("id", "counter"))
    with migration(url), pytest.raises(CommandError, match="declare the key column"):
        helper.backfill(items, values={"counter": 1}, key="sku")
    with migration(url), pytest.raises(CommandError, match="either values= or statement="):
        helper.backfill(items)


def test_a_connection_inside_the_callers_transaction_is_used_as_it_is(database_url):
    create_items(database_url, rows=300)
    with engine_for(database_url).connect() as connection:
        connection.begin()  # the caller's transaction, as pytest-alembic or a test holds one
        context = MigrationContext.configure(connection)
        with Operations.context(context):
            assert increment(batch_size=100) == 300
        connection.rollback()
    assert counters(database_url) == [0] * 300  # nothing was committed behind its back


@pytest.mark.parametrize(
    ("shape", "change"),
    [
        ("column_then_backfill", "op.add_column()"),
        ("sql_then_backfill", "op.get_bind().execute(ALTER ...)"),
        ("table_then_backfill_by_another_name", "op.create_table()"),
        ("read_then_backfill", None),
        ("safe_index_then_backfill", None),
        ("backfill_then_column", None),
        ("change_between_backfills", "op.execute()"),
        ("change_in_a_loop_of_backfills", "op.execute()"),
    ],
)
def test_a_change_before_a_backfill_is_found_in_the_source(shape, change, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES / "backfill-shapes"))
    shapes = importlib.import_module("revision_shapes")
    assert helper.change_before_backfill(getattr(shapes, shape)) == change
