"""Backfill patterns side by side on PostgreSQL: the guide's loop, backfill(), one UPDATE.

    python3 tasks.py bench backfill [--rows 1000000] [--url postgresql+psycopg://...]

Each pattern raises every price by 10% (price = price * 11 / 10, in whole cents) on a fresh
table of --rows rows, as a migration would run it, and prints one line:

    pattern=<name> rows=<n> seconds=<s> rows_per_s=<r> rows_wrong=<k> longest_txn_ms=<t>

rows_wrong counts rows not raised exactly once; longest_txn_ms is the longest transaction,
the time row locks were held. The guide's loop runs on --guide-rows rows (default
100,000): at a million it takes minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from harness import arguments, loaded_table, migration, report

# isort: split
# The helper revisions use, found through the path harness set (this file has its name).
from backfill import backfill

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
    """The guide's example: LIMIT/OFFSET pages without ORDER BY, one UPDATE per row."""
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
    """backfill(): keyset ranges, one set-based UPDATE and one commit per batch."""
    with engine.connect() as connection, migration(connection):
        backfill(items, values={"price": items.c.price * 11 / 10}, name="bench")


def single_statement(engine: sa.engine.Engine) -> None:
    """One UPDATE over the whole table, in the migration's transaction."""
    with engine.connect() as connection, migration(connection):
        connection.execute(items.update().values(price=items.c.price * 11 / 10))


def measure(url: str, name: str, pattern: Callable[[sa.engine.Engine], None], rows: int) -> None:
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


def main() -> None:
    options = arguments(__doc__, guide_rows=100_000)
    measure(options.url, "guide_loop", guide_loop, min(options.rows, options.guide_rows))
    measure(options.url, "backfill_helper", helper, options.rows)
    measure(options.url, "single_update", single_statement, options.rows)


if __name__ == "__main__":
    main()
