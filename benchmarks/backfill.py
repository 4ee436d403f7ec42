"""backfill() against one UPDATE statement, on PostgreSQL and MariaDB, side by side.

    python3 tasks.py bench backfill [--rows 1000000] [--url postgresql+psycopg://...]
                                    [--workers 4] [--repeat 2] [--guide-rows 100000]

Each pattern raises every price by 10% (price = price * 11 / 10, in whole cents) on a fresh
table of --rows rows, as a migration would run it, and prints one line:

    pattern=<name> database=<db> rows=<n> seconds=<s> rows_per_s=<r> rows_wrong=<k>
        longest_txn_ms=<t>

rows_wrong counts rows not raised exactly once; longest_txn_ms is the longest transaction,
the time row locks were held. The patterns: single_update (one UPDATE over the table, in
the migration's transaction), backfill_1_worker and backfill_N_workers (backfill() with
its defaults: batches sized to about 0.2 s each, exactly-once bookkeeping included), taken
in turn --repeat times; then one line per database with the median rates side by side:

    summary database=<db> single_update_rows_per_s=<r> backfill_rows_per_s=<r> workers=<N>
        ratio=<backfill/single> longest_backfill_txn_ms=<t>

PostgreSQL is --url's server; MariaDB/MySQL is $TEST_MYSQL_URL's, else the local one (a
--url naming MySQL runs MySQL alone). The naive loop (LIMIT/OFFSET without ORDER BY, one
UPDATE per row) runs first on PostgreSQL, on --guide-rows rows (0: not at all).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from harness import DEFAULT_URL, load_mysql_table, load_table, migration, report

# isort: split
# The helper revisions use, found through the path harness set.
from alembic_env_backfill import DEFAULT_WORKERS, backfill, forget_backfills, progress_table

DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
START_CENTS = 10_000
# One table per process: two runs of the benchmark may share a server.
TABLE = f"bench_items_{os.getpid()}"
items = sa.table(TABLE, sa.column("id", sa.Integer), sa.column("price", sa.Integer))


class TransactionClock:
    """Measures every transaction on an engine, from BEGIN to COMMIT or ROLLBACK."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.longest = 0.0
        self.started: dict[int, float] = {}
        sa.event.listen(engine, "begin", self.begin)
        sa.event.listen(engine, "commit", self.end)
        sa.event.listen(engine, "rollback", self.end)

    def begin(self, connection: sa.engine.Connection) -> None:
        # In autocommit (alembic's autocommit_block, the replica watch) each statement
        # commits alone: the "transaction" SQLAlchemy tracks there holds no locks.
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self.started[id(connection)] = time.perf_counter()

    def end(self, connection: sa.engine.Connection) -> None:
        began = self.started.pop(id(connection), None)
        if began is not None:
            self.longest = max(self.longest, time.perf_counter() - began)


@contextmanager
def loaded_table(url: str, rows: int) -> Iterator[sa.engine.Engine]:
    """An engine with a fresh TABLE of `rows` rows, dropped afterwards however it ends."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name == "postgresql":
        load_table(engine, TABLE, "price INTEGER NOT NULL", f"(price) SELECT {START_CENTS}", rows)
    else:
        load_mysql_table(
            engine, TABLE, "price INTEGER NOT NULL", f"(price) SELECT {START_CENTS}", rows
        )
    try:
        yield engine
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        engine.dispose()


def guide_loop(engine: sa.engine.Engine) -> None:
    """The naive loop: LIMIT/OFFSET pages without ORDER BY, one UPDATE per row."""
    with engine.connect() as connection, migration(connection):
        offset = 0
        while True:
            query = sa.select(items.c.id, items.c.price).limit(1000).offset(offset)
            batch = connection.execute(query).fetchall()
            if not batch:
                break
            for item in batch:
                connection.execute(
                    items.update().where(items.c.id == item.id).values(price=item.price * 11 // 10)
                )
            offset += 1000


def with_workers(workers: int) -> Callable[[sa.engine.Engine], None]:
    """backfill() with its defaults but `workers`, with env.py's bookkeeping hook."""

    def helper(engine: sa.engine.Engine) -> None:
        hook = {"on_version_apply": forget_backfills}
        with engine.connect() as connection, migration(connection, **hook):
            backfill(items, values={"price": items.c.price * 11 / 10}, workers=workers)

    return helper


def progress_as_in_service(engine: sa.engine.Engine) -> None:
    """Before the clock starts: the progress table as a database has it once its first
    backfill ever made it, with no marks (env.py forgets a finished backfill's mark when
    it records the revision; here no revision is recorded, so the last run's is deleted).
    """
    with engine.begin() as connection:
        progress_table.create(connection, checkfirst=True)
        connection.execute(progress_table.delete())


def single_statement(engine: sa.engine.Engine) -> None:
    """One UPDATE over the whole table, in the migration's transaction."""
    with engine.connect() as connection, migration(connection):
        connection.execute(items.update().values(price=items.c.price * 11 / 10))


def measure(
    url: str, name: str, pattern: Callable[[sa.engine.Engine], None], rows: int
) -> tuple[float, float]:
    """Run a pattern on a fresh table; report it; its rows per second and longest
    transaction in seconds."""
    with loaded_table(url, rows) as engine:
        progress_as_in_service(engine)
        clock = TransactionClock(engine)
        started = time.perf_counter()
        pattern(engine)
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            wrong = connection.scalar(
                sa.select(sa.func.count()).where(items.c.price != START_CENTS * 11 // 10)
            )
        database = engine.dialect.name
    report(
        pattern=name,
        database=database,
        rows=rows,
        seconds=f"{seconds:.2f}",
        rows_per_s=f"{rows / seconds:.0f}",
        rows_wrong=wrong,
        longest_txn_ms=f"{clock.longest * 1000:.0f}",
    )
    return rows / seconds, clock.longest


def compare(url: str, rows: int, workers: int, repeat: int) -> None:
    """The patterns in turn, `repeat` times; then the medians side by side."""
    patterns = {
        "single_update": single_statement,
        "backfill_1_worker": with_workers(1),
        f"backfill_{workers}_workers": with_workers(workers),
    }
    rates: dict[str, list[float]] = defaultdict(list)
    longest = 0.0
    for _ in range(repeat):
        for name, pattern in patterns.items():
            rate, transaction = measure(url, name, pattern, rows)
            rates[name].append(rate)
            if name != "single_update":
                longest = max(longest, transaction)
    single = statistics.median(rates["single_update"])
    parallel = statistics.median(rates[f"backfill_{workers}_workers"])
    print(
        f"summary database={sa.make_url(url).get_backend_name()} "
        f"single_update_rows_per_s={single:.0f} backfill_rows_per_s={parallel:.0f} "
        f"workers={workers} ratio={parallel / single:.2f} "
        f"backfill_1_worker_ratio={statistics.median(rates['backfill_1_worker']) / single:.2f} "
        f"longest_backfill_txn_ms={longest * 1000:.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--guide-rows", type=int, default=100_000)
    options = parser.parse_args()
    urls = [options.url]
    if sa.make_url(options.url).get_backend_name() == "postgresql":
        urls.append(os.environ.get("TEST_MYSQL_URL") or DEFAULT_MYSQL_URL)
        if options.guide_rows:
            rows = min(options.rows, options.guide_rows)
            measure(options.url, "naive_loop", guide_loop, rows)
    for url in urls:
        compare(url, options.rows, options.workers, options.repeat)


if __name__ == "__main__":
    main()
