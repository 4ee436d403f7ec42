"""Replica lag: backfill() pauses while a read replica is too far behind the primary.

A big backfill writes faster than replicas may replay, and users reading from a replica
then see stale data. Before each batch, at most once a second, backfill() asks how far
behind each replica is, and waits while any is more than `max_replica_lag` (10 s by
default; 0 turns the wait off), logging the pause and the end of it.

- PostgreSQL, with no `replica_urls`: the standbys the primary streams to
  (pg_stat_replication; seeing their positions needs superuser or pg_monitor).
- PostgreSQL, with `replica_urls`: each standby's own replay position
  (pg_last_wal_replay_lsn()), e.g. for cascading standbys the primary does not list.
- MySQL/MariaDB: `Seconds_Behind_Source` (`Seconds_Behind_Master`) of each replica named
  in `replica_urls`; a replica whose replication is stopped counts as behind.

On PostgreSQL the lag is measured, not read: the server's replay_lag is NULL when idle and
stops growing while a standby's replay is paused. Each check notes the primary's WAL
position and the time; a standby is behind by the time since the first noted position it
has not replayed yet (at least: WAL written before the backfill started counts from its
first check). The server's replay_lag counts too, where the standby has not caught up.
It lives beside env.py; alembic's prepend_sys_path puts this folder on sys.path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic.util import CommandError
from sqlalchemy.engine import URL, Connection, make_url

log = logging.getLogger("alembic.backfill")

DEFAULT_MAX_REPLICA_LAG = 10.0
# Seconds between two looks at the replicas: each look is a query per replica.
CHECK_EVERY = 1.0
# While paused, how often the log says the backfill still waits.
REMIND_EVERY = 30.0
# The primary's WAL positions kept to measure lag by: a few minutes of checks.
SAMPLES_KEPT = 600
# pg_stat_replication: each standby's replay position, and the server's own replay_lag.
STREAMING_STANDBYS = """
SELECT coalesce(application_name, '') || '@' || coalesce(host(client_addr), 'local'),
       replay_lsn::text, extract(epoch FROM replay_lag), pg_current_wal_lsn()::text
FROM pg_stat_replication
"""
STANDBY_POSITION = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"


def lsn(text: str | None) -> int | None:
    """A PostgreSQL WAL position ('16/B374D848') as a number, to compare and order."""
    if not text:
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def redacted(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def sync_engine(url: URL) -> Any:
    """An engine to query a replica with; for an async driver, its sync face (usable where
    backfill() runs: inside the migration's run_sync)."""
    if url.get_dialect().is_async:
        from sqlalchemy.ext.asyncio import create_async_engine

        return create_async_engine(url, poolclass=sa.pool.NullPool).sync_engine
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


class Replica:
    """One replica named in replica_urls, on a connection of its own."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.name = redacted(url)
        try:
            self.connection = sync_engine(url).connect()
            self.connection = self.connection.execution_options(isolation_level="AUTOCOMMIT")
        except Exception as error:  # noqa: BLE001 - any driver's failure, as one line
            raise CommandError(
                f"replica_urls: cannot connect to {self.name}: {one_line(error, url)}; "
                "fix the URL, or leave the replica out (max_replica_lag = 0 turns the wait off)"
            ) from None

    def close(self) -> None:
        self.connection.close()
        self.connection.engine.dispose()

    def invalidate(self) -> None:
        """Close without the rollback a closed connection would fail (and log) on."""
        self.connection.invalidate()
        self.connection.engine.dispose()


def one_line(error: BaseException, url: URL | None = None) -> str:
    """The first line of a driver's message, without the password."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = lines[0] if lines else type(error).__name__
    return reason.replace(str(url.password), "***") if url is not None and url.password else reason


class LagSource:
    """How far behind each replica is, in seconds (inf: not replicating)."""

    def lags(self) -> dict[str, float]:
        raise NotImplementedError

    def close(self) -> None:
        """Close the connections it opened."""


class PostgresLag(LagSource):
    """Standbys of a PostgreSQL primary, measured against the primary's WAL position."""

    def __init__(self, primary: Connection, replicas: Sequence[Replica]) -> None:
        self.primary = primary
        self.replicas = list(replicas)
        self.samples: deque[tuple[float, int]] = deque(maxlen=SAMPLES_KEPT)
        for replica in self.replicas:
            in_recovery, _ = replica.connection.exec_driver_sql(STANDBY_POSITION).first()
            if not in_recovery:
                raise CommandError(
                    f"replica_urls: {replica.name} is not a standby (pg_is_in_recovery() is "
                    "false): name the replicas' URLs, not the primary's"
                )

    def lags(self) -> dict[str, float]:
        positions: dict[str, tuple[int | None, float]] = {}
        if self.replicas:
            current = lsn(
                self.primary.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar()
            )
            for replica in self.replicas:
                _, replayed = replica.connection.exec_driver_sql(STANDBY_POSITION).first()
                positions[replica.name] = (lsn(replayed), 0.0)
        else:
            current = None
            for name, replayed, reported, now_at in self.primary.exec_driver_sql(
                STREAMING_STANDBYS
            ):
                current = lsn(now_at)
                positions[name] = (lsn(replayed), float(reported or 0))
        if current is None:
            return {}
        now = time.monotonic()
        self.samples.append((now, current))
        lags = {}
        for name, (replayed, reported) in positions.items():
            if replayed is None:  # no privilege to see it, or not replaying yet
                lags[name] = 0.0
                continue
            behind = replayed < current
            lags[name] = max(self.measured(replayed, now), reported if behind else 0.0)
        return lags

    def measured(self, replayed: int, now: float) -> float:
        """Seconds since the first noted primary position the standby has not replayed."""
        for noted_at, position in self.samples:
            if position > replayed:
                return now - noted_at
        return 0.0

    def close(self) -> None:
        for replica in self.replicas:
            replica.close()


class MySQLLag(LagSource):
    """Replicas' Seconds_Behind_Source (Seconds_Behind_Master before MySQL 8.0.22)."""

    def __init__(self, replicas: Sequence[Replica]) -> None:
        self.replicas = list(replicas)
        for replica in self.replicas:
            if self.status(replica) is None:
                raise CommandError(
                    f"replica_urls: {replica.name} is not a replica (SHOW REPLICA STATUS is "
                    "empty): name the replicas' URLs, not the primary's"
                )

    @staticmethod
    def status(replica: Replica) -> Mapping[str, Any] | None:
        for statement in ("SHOW REPLICA STATUS", "SHOW SLAVE STATUS"):
            try:
                row = replica.connection.exec_driver_sql(statement).mappings().first()
            except sa.exc.ProgrammingError:  # a server older than the first spelling
                continue
            return row
        return None

    def lags(self) -> dict[str, float]:
        lags = {}
        for replica in self.replicas:
            row = self.status(replica) or {}
            seconds = row.get("Seconds_Behind_Source", row.get("Seconds_Behind_Master"))
            # NULL: the replication threads are stopped, so the replica falls behind.
            lags[replica.name] = float("inf") if seconds is None else float(seconds)
        return lags

    def close(self) -> None:
        for replica in self.replicas:
            replica.close()


class ReplicaWatch:
    """Shared by a backfill's workers: the first to find a check due makes it; while a
    replica lags too far, every worker waits before its next batch."""

    def __init__(self, table: str, source: LagSource | None, max_lag: float) -> None:
        self.table = table
        self.source = source
        self.max_lag = max_lag
        self.lock = threading.Lock()
        self.checked_at = float("-inf")
        self.paused_seconds = 0.0

    def wait_while_lagging(self, stop: threading.Event | None = None) -> None:
        """Return at once when no check is due or no replica lags; else wait until none
        does (or until `stop` is set: another worker failed)."""
        if self.source is None:
            return
        with self.lock:
            if time.monotonic() - self.checked_at < CHECK_EVERY:
                return
            lagging = self.too_far_behind()
            if not lagging:
                return
            started = reminded = time.monotonic()
            log.warning(
                "backfill %s: pausing: %s (max_replica_lag %s s)",
                self.table,
                describe(lagging),
                f"{self.max_lag:g}",
            )
            while lagging and not (stop is not None and stop.is_set()):
                time.sleep(CHECK_EVERY)
                lagging = self.too_far_behind()
                if lagging and time.monotonic() - reminded >= REMIND_EVERY:
                    reminded = time.monotonic()
                    log.warning("backfill %s: still paused: %s", self.table, describe(lagging))
            waited = time.monotonic() - started
            self.paused_seconds += waited
            log.warning(
                "backfill %s: replicas caught up after %.1f s paused; resuming", self.table, waited
            )

    def too_far_behind(self) -> dict[str, float]:
        """The replicas lagging more than max_replica_lag, with their lag."""
        self.checked_at = time.monotonic()
        try:
            lags = self.source.lags()
        except sa.exc.DBAPIError as error:
            log.warning(
                "backfill %s: cannot read replica lag (%s); not waiting this time",
                self.table,
                one_line(error),
            )
            return {}
        return {name: lag for name, lag in lags.items() if lag > self.max_lag}


def describe(lagging: Mapping[str, float]) -> str:
    """'replica X is 12 s behind, replica Y is not replicating'."""
    return ", ".join(
        f"replica {name} is not replicating"
        if lag == float("inf")
        else f"replica {name} is {lag:.0f} s behind"
        for name, lag in lagging.items()
    )


def replica_urls(raw: Any) -> list[URL]:
    """replica_urls as URLs; a malformed one is refused without showing it (a password)."""
    urls = []
    for number, value in enumerate(raw or (), start=1):
        try:
            urls.append(make_url(str(value)))
        except sa.exc.ArgumentError:
            raise CommandError(
                f"replica_urls: entry {number} is not a database URL; expected "
                "dialect+driver://user:password@host/db, separated by commas or spaces"
            ) from None
    return urls


@contextmanager
def replica_watch(engine: Any, table: str, opts: Mapping[str, Any]) -> Iterator[ReplicaWatch]:
    """The watch for one backfill on `engine` (the primary), from env.py's options
    max_replica_lag and replica_urls; a watch that never waits where there is nothing to
    watch (SQLite, MySQL without replica_urls, max_replica_lag = 0)."""
    max_lag = opts.get("max_replica_lag")
    max_lag = DEFAULT_MAX_REPLICA_LAG if max_lag is None else float(max_lag)
    urls = replica_urls(opts.get("replica_urls"))
    dialect = engine.dialect.name
    if (
        not max_lag
        or dialect not in ("postgresql", "mysql", "mariadb")
        or (dialect != "postgresql" and not urls)
    ):
        yield ReplicaWatch(table, None, max_lag)
        return
    opened: list[Any] = []
    try:
        replicas = []
        for url in urls:
            replicas.append(Replica(url))
            opened.append(replicas[-1])
        if dialect == "postgresql":
            primary = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            opened.append(primary)
            source: LagSource = PostgresLag(primary, replicas)
        else:
            source = MySQLLag(replicas)
        yield ReplicaWatch(table, source, max_lag)
    except BaseException:
        for thing in opened:  # the backfill failed, perhaps its server with it
            thing.invalidate()
        raise
    else:
        for thing in opened:
            thing.close()
