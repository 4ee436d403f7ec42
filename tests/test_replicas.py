"""backfill() waits while a replica lags more than max_replica_lag, then finishes.

On a real PostgreSQL streaming standby (tests/standby.py makes a private pair): its
replay is paused with pg_wal_replay_pause(), so it falls behind for real; the backfill
logs the pause and changes no row while it lasts, and finishes once replay resumes. The
lag is read from the primary (pg_stat_replication) or from the standby's own URL. And on
a real MariaDB replica (a private pair too): a session on the replica holds a lock on the
table, so its replication thread waits and Seconds_Behind_Master grows.
"""

from __future__ import annotations

import logging
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
from sqlalchemy.engine import URL

from . import standby
from .databases import execute_autocommit, throwaway_database, unavailable
from .projects import MIGRATIONS
from .venvs import for_sqlalchemy14, sqlalchemy14_venv

sys.path.insert(0, str(MIGRATIONS))
import alembic_env_backfill as backfills
import alembic_env_replicas as replicas

ROWS = 3000
items = sa.table("items", sa.column("id", sa.Integer), sa.column("counter", sa.Integer))


@pytest.fixture(scope="session")
def standby_pair() -> standby.StandbyPair:
    """The private primary and standby, made or started once and shared by xdist workers."""
    try:
        return standby.ensure_pair()
    except standby.Unavailable as reason:
        unavailable(f"{reason} (tests/standby.py)")
        raise  # unavailable() skips or fails: not reached


@pytest.fixture(scope="session")
def mariadb_pair() -> tuple[URL, URL]:
    """The private MariaDB primary and replica, made or started once."""
    try:
        return standby.ensure_mariadb_pair()
    except standby.Unavailable as reason:
        unavailable(f"{reason} (tests/standby.py)")
        raise  # unavailable() skips or fails: not reached


@pytest.fixture
def replicated_mariadb(mariadb_pair: tuple[URL, URL]) -> Iterator[tuple[URL, URL]]:
    """A throwaway database on the MariaDB primary with items, and its replica's URL."""
    admin, replica_admin = mariadb_pair
    name = f"at_{uuid.uuid4().hex[:12]}"
    execute_autocommit(admin, f"CREATE DATABASE {name}")
    primary, replica = admin.set(database=name), replica_admin.set(database=name)
    try:
        with sa.create_engine(primary, poolclass=sa.pool.NullPool).begin() as connection:
            connection.exec_driver_sql(
                "CREATE TABLE items (id int PRIMARY KEY, counter int NOT NULL) ENGINE=InnoDB"
            )
            connection.exec_driver_sql(f"INSERT INTO items SELECT seq, 0 FROM seq_1_to_{ROWS}")
        wait_for(lambda: rows_on(replica) == ROWS, "the replica to apply the new table")
        yield primary, replica
    finally:
        execute_autocommit(admin, f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture
def replicated(standby_pair: standby.StandbyPair) -> Iterator[tuple[URL, URL]]:
    """A throwaway database on the primary with items (ROWS rows, counter 0), and its URL
    on the standby once the standby has it."""
    name = f"at_{uuid.uuid4().hex[:12]}"
    execute_autocommit(standby_pair.primary, f"CREATE DATABASE {name}")
    primary, replica = standby_pair.on(name)
    try:
        engine = sa.create_engine(primary, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TABLE items (id integer PRIMARY KEY, counter integer NOT NULL)"
            )
            connection.exec_driver_sql(
                f"INSERT INTO items SELECT g, 0 FROM generate_series(1, {ROWS}) g"
            )
        wait_for(lambda: rows_on(replica) == ROWS, "the standby to replay the new table")
        yield primary, replica
    finally:
        execute_autocommit(standby_pair.primary, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def rows_on(url: URL) -> int | None:
    """Rows of items as this server sees them; None while it cannot tell yet."""
    try:
        with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as connection:
            return connection.exec_driver_sql("SELECT count(*) FROM items").scalar()
    except sa.exc.DBAPIError:
        return None


def changed(url: URL) -> int:
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as connection:
        return int(connection.exec_driver_sql("SELECT sum(counter) FROM items").scalar())


@contextmanager
def replay_paused(replica: URL) -> Iterator[None]:
    """The standby receives WAL but does not apply it: its data stays behind."""
    execute_autocommit(replica, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        execute_autocommit(replica, "SELECT pg_wal_replay_resume()")


def backfill_in_background(
    primary: URL, opts: dict, results: list, pause: float = 0.1
) -> threading.Thread:
    """backfill() as a revision runs it, with env.py's replica options in `opts`."""

    def run() -> None:
        try:
            engine = sa.create_engine(primary, poolclass=sa.pool.NullPool)
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection, opts={"transaction_per_migration": True, **opts}
                )
                with Operations.context(context), context.begin_transaction(_per_migration=True):
                    results.append(
                        backfills.backfill(
                            items,
                            values={"counter": items.c.counter + 1},
                            batch_size=100,
                            workers=2,
                            pause=pause,  # 30 slow batches: seconds, time to fall behind
                            name="replicas",
                        )
                    )
        except BaseException as error:  # the test's thread reports it
            results.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.slow
@pytest.mark.postgresql
@pytest.mark.xdist_group("standby")  # one pauses the standby's replay: not two at once
@pytest.mark.parametrize("source", ["pg_stat_replication", "replica_urls"])
def test_backfill_waits_while_the_standby_lags_then_finishes(replicated, source, caplog):
    primary, replica = replicated
    opts = {"max_replica_lag": 1.0}
    if source == "replica_urls":
        opts["replica_urls"] = [replica.render_as_string(hide_password=False)]
    results: list = []
    with caplog.at_level(logging.INFO, logger="alembic.backfill"), replay_paused(replica):
        thread = backfill_in_background(primary, opts, results)
        wait_for(lambda: "pausing" in caplog.text or results, "the backfill to pause")
        assert not results, results  # paused, not finished (nor failed)
        time.sleep(0.5)  # a worker's batch under way when the pause began commits
        while_paused = changed(primary)
        time.sleep(2)
        assert changed(primary) == while_paused, "batches ran while the standby lagged"
        assert 0 < while_paused < ROWS and thread.is_alive()
        assert rows_on(replica) == ROWS and changed(replica) == 0  # it really is behind
    thread.join(timeout=120)
    assert results == [ROWS], results
    assert changed(primary) == ROWS
    pause = next(m for m in caplog.messages if "pausing" in m)
    assert "s behind (max_replica_lag 1 s)" in pause, pause
    assert any("replicas caught up after" in m for m in caplog.messages), caplog.messages
    wait_for(lambda: changed(replica) == ROWS, "the standby to catch up")


@pytest.mark.slow
@pytest.mark.mysql
@pytest.mark.xdist_group("standby")
def test_backfill_waits_while_a_mariadb_replica_lags_then_finishes(replicated_mariadb, caplog):
    primary, replica = replicated_mariadb
    opts = {"max_replica_lag": 1.0, "replica_urls": [replica.render_as_string()]}
    results: list = []
    # The replica's replication thread waits for this session's lock on items.
    blocker = sa.create_engine(replica, poolclass=sa.pool.NullPool).connect()
    blocker.exec_driver_sql("LOCK TABLES items WRITE")
    try:
        with caplog.at_level(logging.INFO, logger="alembic.backfill"):
            # Seconds_Behind_Master counts whole seconds: slower batches, to pass 1 s.
            thread = backfill_in_background(primary, opts, results, pause=0.3)
            wait_for(lambda: "pausing" in caplog.text or results, "the backfill to pause")
            assert not results, results
            time.sleep(0.5)  # a worker's batch under way when the pause began commits
            while_paused = changed(primary)
            time.sleep(2)
            assert changed(primary) == while_paused, "batches ran while the replica lagged"
            assert 0 < while_paused < ROWS and thread.is_alive()
    finally:
        blocker.exec_driver_sql("UNLOCK TABLES")
        blocker.close()
    thread.join(timeout=120)
    assert results == [ROWS], results
    pause = next(m for m in caplog.messages if "pausing" in m)
    assert "s behind (max_replica_lag 1 s)" in pause, pause
    assert any("replicas caught up after" in m for m in caplog.messages), caplog.messages
    wait_for(lambda: changed(replica) == ROWS, "the replica to catch up")


# backfill_in_background's body as a script, for the python of .venv-sqla14.
BACKFILL_ON_SQLALCHEMY14 = f"""
import logging, sys
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
sys.path.insert(0, {str(MIGRATIONS)!r})
import alembic_env_backfill as backfills
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
assert sa.__version__.startswith("1.4."), sa.__version__
items = sa.table("items", sa.column("id", sa.Integer), sa.column("counter", sa.Integer))
engine = sa.create_engine(sys.argv[1], poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    opts = {{"transaction_per_migration": True, "max_replica_lag": 1.0}}
    context = MigrationContext.configure(connection, opts=opts)
    with Operations.context(context), context.begin_transaction(_per_migration=True):
        done = backfills.backfill(
            items, values={{"counter": items.c.counter + 1}}, batch_size=100, workers=2,
            pause=0.1, name="replicas",
        )
print(done)
"""


@pytest.mark.slow
@pytest.mark.network  # builds .venv-sqla14 from PyPI when its pins change
@pytest.mark.postgresql
@pytest.mark.xdist_group("standby")
def test_backfill_waits_for_the_standby_on_sqlalchemy_14(replicated):
    primary, replica = replicated
    python = sqlalchemy14_venv()
    lines: list[str] = []
    url = for_sqlalchemy14(primary).render_as_string(hide_password=False)
    with replay_paused(replica):
        process = subprocess.Popen(
            [str(python), "-c", BACKFILL_ON_SQLALCHEMY14, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
        reader.start()
        wait_for(
            lambda: any("pausing" in line for line in lines) or process.poll() is not None,
            "the backfill to pause",
        )
        assert process.poll() is None, "".join(lines)
        time.sleep(0.5)  # a worker's batch under way when the pause began commits
        while_paused = changed(primary)
        time.sleep(2)
        assert changed(primary) == while_paused, "batches ran while the standby lagged"
        assert 0 < while_paused < ROWS
    assert process.wait(timeout=120) == 0, "".join(lines)
    reader.join(timeout=10)
    assert lines[-1].strip() == str(ROWS), "".join(lines)
    assert any("replicas caught up after" in line for line in lines), "".join(lines)
    assert changed(primary) == ROWS


@pytest.mark.postgresql
def test_a_primary_named_as_a_replica_is_refused_in_one_line(replicated):
    primary, _ = replicated
    opts = {"replica_urls": [primary.render_as_string(hide_password=False)]}
    results: list = []
    backfill_in_background(primary, opts, results).join(timeout=60)
    (error,) = results
    assert isinstance(error, CommandError) and "is not a standby" in str(error), error
    assert changed(primary) == 0


@pytest.mark.mysql
def test_a_mysql_server_that_is_no_replica_is_refused_in_one_line(tmp_path):
    with throwaway_database("mysql", tmp_path) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE items (id int PRIMARY KEY, counter int)")
            connection.exec_driver_sql("INSERT INTO items VALUES (1, 0), (2, 0)")
        opts = {"replica_urls": [url.render_as_string(hide_password=False)]}
        results: list = []
        backfill_in_background(url, opts, results).join(timeout=60)
        (error,) = results
        assert isinstance(error, CommandError) and "is not a replica" in str(error), error


def test_a_malformed_replica_url_is_one_line_without_the_password():
    with pytest.raises(CommandError, match="entry 2 is not a database URL") as raised:
        replicas.replica_urls(["postgresql://a@b/c", "s3cret-not-a-url"])
    assert "s3cret" not in str(raised.value)


class Lags(replicas.LagSource):
    """A replica whose lag follows a script, one value a check."""

    def __init__(self, *lags: float) -> None:
        self.script = list(lags)

    def lags(self) -> dict[str, float]:
        return {"r1": self.script.pop(0) if len(self.script) > 1 else self.script[0]}


def test_the_watch_waits_until_the_lag_is_back_under_the_limit(monkeypatch, caplog):
    monkeypatch.setattr(replicas, "CHECK_EVERY", 0.01)
    source = Lags(12, 30, 11, 3)
    watch = replicas.ReplicaWatch("items", source, max_lag=10)
    with caplog.at_level(logging.INFO, logger="alembic.backfill"):
        watch.wait_while_lagging()
    assert source.script == [3]  # it looked until the lag was under the limit
    paused = "backfill items: pausing: replica r1 is 12 s behind (max_replica_lag 10 s)"
    assert caplog.messages[0] == paused
    assert caplog.messages[-1].startswith("backfill items: replicas caught up after")


def test_a_stopped_replica_counts_as_behind():
    assert replicas.describe({"r1": float("inf")}) == "replica r1 is not replicating"


def test_lag_is_measured_from_the_primarys_positions():
    """A standby short of a position the primary had at some check is behind by the time
    since that check, whatever the server's own replay_lag says."""
    source = replicas.PostgresLag.__new__(replicas.PostgresLag)
    source.samples = replicas.deque([(100.0, 10), (101.0, 20), (102.0, 30)])
    assert source.measured(replayed=5, now=105.0) == 5.0
    assert source.measured(replayed=20, now=105.0) == 3.0
    assert source.measured(replayed=30, now=105.0) == 0.0
    assert replicas.lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
