"""The stairway's contract step against a plain SET NOT NULL, with a writer on the table.

    python3 tasks.py bench not_null [--rows 1000000] [--url postgresql+psycopg://...]

A writer updates random rows of a --rows table, one short transaction after another, while
the column is made NOT NULL: first with a plain ALTER TABLE ... SET NOT NULL (a full scan
under ACCESS EXCLUSIVE), then with alembic_env_safe_ddl.set_not_null (CHECK NOT VALID,
VALIDATE, SET NOT NULL, drop the check). One line each:

    pattern=<name> rows=<n> seconds=<s> writer_worst_stall_ms=<t> writer_updates=<k>
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from harness import Writer, arguments, loaded_table, migration, report, running

# isort: split
# The helper revisions use, found through the path harness set.
from alembic_env_safe_ddl import set_not_null

TABLE = "bench_users"


def plain(connection: sa.engine.Connection) -> None:
    """What autogenerate writes: one ALTER in the migration's transaction."""
    with connection.begin():
        connection.exec_driver_sql(f"ALTER TABLE {TABLE} ALTER COLUMN phone SET NOT NULL")


def contract_step(connection: sa.engine.Connection) -> None:
    """The stairway template's contract step, as alembic runs it."""
    with migration(connection):
        set_not_null(TABLE, "phone")


def measure(url: str, name: str, step: Callable[[sa.engine.Connection], None], rows: int) -> None:
    columns = "phone VARCHAR(20), touched INTEGER NOT NULL DEFAULT 0"
    with (
        loaded_table(url, TABLE, columns, "(phone) SELECT 'n' || g", rows) as engine,
        running(Writer(url, TABLE, rows)) as writer,
    ):
        time.sleep(0.5)  # the writer's steady state, before the step
        with engine.connect() as connection:
            started = time.perf_counter()
            step(connection)
            seconds = time.perf_counter() - started
        time.sleep(0.2)
    report(
        pattern=name,
        rows=rows,
        seconds=f"{seconds:.2f}",
        writer_worst_stall_ms=f"{writer.worst * 1000:.0f}",
        writer_updates=writer.updates,
    )


def main() -> None:
    options = arguments(__doc__)
    measure(options.url, "plain_set_not_null", plain, options.rows)
    measure(options.url, "stairway_contract", contract_step, options.rows)


if __name__ == "__main__":
    main()
