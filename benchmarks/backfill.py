"""Backfill patterns side by side on PostgreSQL: a naive loop, backfill(), its batches alone,
one UPDATE.

    python3 tasks.py bench backfill [--rows 1000000] [--url postgresql+psycopg://...]

Each pattern raises every price by 10% (price = price * 11 / 10, in whole cents) on a fresh
table of --rows rows, as a migration would run it, and prints one line:

    pattern=<name> rows=<n> seconds=<s> rows_per_s=<r> rows_wrong=<k> longest_txn_ms=<t>

rows_wrong counts rows not raised exactly once; longest_txn_ms is the longest transaction,
the time row locks were held. The naive loop (LIMIT/OFFSET without ORDER BY, one UPDATE per
row) runs on --guide-rows rows (default 100,000): at a million it takes minutes.
"batches_alone" runs backfill()'s batches (the same keyset ranges, one UPDATE and one
commit each) without its bookkeeping for exactly-once (resume points, the finished mark),
in three pairs taken in turn, and a last line prints what that bookkeeping costs:

    bookkeeping ratios=<backfill/alone per pair> median_ratio=<r>
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa
from harness import arguments, loaded_table, migration, report

# isort: split
# The helper revisions use, found through the path harness set.
from alembic_env_backfill import (
    DEFAULT_BATCH_SIZE,
    backfill,
    forget_backfills,
    progress_table,
    session_settings,
)

START_CENTS = 10_000
items = sa.table("bench_items", sa.column("id", sa.Integer), sa.column("price", sa.Integer))


class TransactionClock:
    """Measures every transaction on an engine, from BEGIN to COMMIT or ROLLBACK."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.longest = 0.0
        self.started: dict[int, float] = {}
        sa.event.listen(engine, "begin", self.begin)
        sa.event.listen(engine, "commit", self.end)
        sa.event.listen(engine, "rollback", self.end)

    def begin(self, connection: sa.engine.Connection) -> None:
        # In autocommit (alembic's autocommit_block) each statement commits alone: the
        # "transaction" SQLAlchemy tracks there holds no locks.
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self.started[id(connection)] = time.perf_counter()

    def end(self, connection: sa.engine.Connection) -> None:
        began = self.started.pop(id(connection), None)
        if began is not None:
            self.longest = max(self.longest, time.perf_counter() - began)


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


def helper(engine: sa.engine.Engine) -> None:
    """backfill(): keyset ranges, one set-based UPDATE and one commit per batch, each with
    its resume point, then the finished mark (kept until env.py records the revision)."""
    with engine.connect() as connection, migration(connection, on_version_apply=forget_backfills):
        backfill(items, values={"price": items.c.price * 11 / 10}, name="bench")
    # env.py forgets the finished mark when it records the revision; here no revision is
    # recorded, so the next run of this benchmark would find the backfill done and skip it.
    with engine.begin() as connection:
        progress_table.drop(connection, checkfirst=True)


def batches_alone(engine: sa.engine.Engine) -> None:
    """backfill()'s batches without its bookkeeping: the same session settings
    (synchronous_commit off on PostgreSQL), the same count for the progress log, the same
    keyset ranges and commits."""
    with engine.connect() as connection:
        for statement in session_settings(connection.dialect.name, {}):
            connection.exec_driver_sql(statement)
        connection.scalar(sa.select(sa.func.count()).select_from(items))
        last = None
        while True:
            after = sa.true() if last is None else items.c.id > last
            upper = connection.scalar(
                sa.select(items.c.id)
                .where(after)
                .order_by(items.c.id)
                .offset(DEFAULT_BATCH_SIZE - 1)
                .limit(1)
            )
            in_batch = after if upper is None else sa.and_(after, items.c.id <= upper)
            connection.execute(
                items.update().where(in_batch).values(price=items.c.price * 11 / 10)
            )
            connection.commit()
            if upper is None:
                return
            last = upper


def single_statement(engine: sa.engine.Engine) -> None:
    """One UPDATE over the whole table, in the migration's transaction."""
    with engine.connect() as connection, migration(connection):
        connection.execute(items.update().values(price=items.c.price * 11 / 10))


def measure(url: str, name: str, pattern: Callable[[sa.engine.Engine], None], rows: int) -> float:
    fill = f"(price) SELECT {START_CENTS}"
    with loaded_table(url, "bench_items", "price INTEGER NOT NULL", fill, rows) as engine:
        clock = TransactionClock(engine)
        started = time.perf_counter()
        pattern(engine)
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            wrong = connection.scalar(
                sa.select(sa.func.count()).where(items.c.price != START_CENTS * 11 // 10)
            )
    report(
        pattern=name,
        rows=rows,
        seconds=f"{seconds:.2f}",
        rows_per_s=f"{rows / seconds:.0f}",
        rows_wrong=wrong,
        longest_txn_ms=f"{clock.longest * 1000:.0f}",
    )
    return rows / seconds


def main() -> None:
    options = arguments(__doc__, guide_rows=100_000)
    measure(options.url, "naive_loop", guide_loop, min(options.rows, options.guide_rows))
    # The bookkeeping's cost is a few percent at most, below the noise of one pair of runs:
    # three pairs, taken in turn, and the median of their ratios.
    ratios = []
    for _ in range(3):
        helper_rate = measure(options.url, "backfill_helper", helper, options.rows)
        alone_rate = measure(options.url, "batches_alone", batches_alone, options.rows)
        ratios.append(helper_rate / alone_rate)
    measure(options.url, "single_update", single_statement, options.rows)
    print(
        f"bookkeeping ratios={','.join(f'{r:.3f}' for r in ratios)} "
        f"median_ratio={statistics.median(ratios):.3f}"
    )


if __name__ == "__main__":
    main()
