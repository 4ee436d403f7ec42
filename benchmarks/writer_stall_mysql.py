"""How long a concurrent writer stalls on MariaDB/MySQL: a table copy against online DDL.

    python3 tasks.py bench writer_stall_mysql [--rows 1000000] [--url mysql+pymysql://...]

(`bench writer_stall` prints these rows too, after PostgreSQL's, from $TEST_MYSQL_URL or
the local server.) A writer updates random rows of a fresh --rows table, one UPDATE and one
commit after another, while a migration runs one step through alembic's Operations:

    copy_add_column         ADD COLUMN ... ALGORITHM=COPY: the table copy that MySQL 5.5 made
                            for every ADD COLUMN, and any server makes for a change it cannot
                            do in place; writes wait for the whole copy
    template_add_column     op.add_column() as env.py runs it (mysql_online_ddl=True):
                            ALGORITHM=INSTANT, a change of the table's metadata only
    template_create_index   op.create_index() as env.py runs it: ALGORITHM=INPLACE LOCK=NONE
    stock_type_change       op.alter_column(type_=...) in a stock migration: MODIFY copies
                            the table, and writes wait
    template_type_change    the same as env.py runs it: ALGORITHM=INPLACE, LOCK=NONE, which
                            the server refuses at once instead of copying

One line each:

    pattern=<name> rows=<n> seconds=<s> writer_worst_stall_ms=<t> writer_updates=<k>
        clause=<what the ALTER asked for> migration_outcome=<succeeded|refused_online>

A --url of another database (tests/test_benchmarks.py passes PostgreSQL's) means the MySQL
server of $TEST_MYSQL_URL, else the local one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic import op
from harness import Writer, arguments, load_mysql_table, migration, report, running

# isort: split
# The module env.py registers, found through the path harness set.
from alembic_env_mysql_online import OnlineDdlRefused, register_online_ddl

DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
# One table per process: `bench writer_stall` and this file may run at once on one server.
TABLE = f"bench_writer_stall_mysql_{os.getpid()}"
TEMPLATE_OPTS = {"mysql_online_ddl": True}


@dataclass(frozen=True)
class Scenario:
    name: str
    step: Callable[[], None]  # runs with alembic's op bound to the migration
    clause: str  # what the ALTER asks the server for, for the report
    opts: dict[str, Any] = field(default_factory=dict)  # for MigrationContext.configure


def mysql_url(given: str) -> str:
    """The --url when it names MySQL or MariaDB, else $TEST_MYSQL_URL or the local server."""
    if sa.make_url(given).get_backend_name() in ("mysql", "mariadb"):
        return given
    return os.environ.get("TEST_MYSQL_URL") or DEFAULT_MYSQL_URL


def migrate(engine: sa.engine.Engine, scenario: Scenario) -> str:
    """Run the step as env.py runs a revision, in its own migration context."""
    with engine.connect() as connection:
        try:
            with migration(connection, **scenario.opts):
                scenario.step()
        except sa.exc.OperationalError as error:
            if not isinstance(error.orig, OnlineDdlRefused):
                raise
            return "refused_online"
    return "succeeded"


def measure(url: str, scenario: Scenario, rows: int) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    load_mysql_table(
        engine,
        TABLE,
        "email VARCHAR(255) NOT NULL, touched INTEGER NOT NULL DEFAULT 0",
        "(email) SELECT CONCAT('user', g, '@example.com')",
        rows,
    )
    try:
        with running(Writer(url, TABLE, rows)) as writer:
            time.sleep(0.5)  # the writer's steady state, before the step
            started = time.perf_counter()
            outcome = migrate(engine, scenario)
            seconds = time.perf_counter() - started
            time.sleep(0.2)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        engine.dispose()
    report(
        pattern=scenario.name,
        rows=rows,
        seconds=f"{seconds:.2f}",
        writer_worst_stall_ms=f"{writer.worst * 1000:.0f}",
        writer_updates=writer.updates,
        clause=scenario.clause,
        migration_outcome=outcome,
    )


def add_note() -> None:
    op.add_column(TABLE, sa.Column("note", sa.Text()))


def widen_touched() -> None:
    op.alter_column(
        TABLE,
        "touched",
        type_=sa.BigInteger(),
        existing_type=sa.Integer(),
        existing_nullable=False,
        existing_server_default=sa.text("0"),
    )


SCENARIOS = (
    Scenario(
        "copy_add_column",
        lambda: op.execute(f"ALTER TABLE {TABLE} ADD COLUMN note TEXT, ALGORITHM=COPY"),
        "ALGORITHM=COPY",
    ),
    Scenario("template_add_column", add_note, "ALGORITHM=INSTANT", TEMPLATE_OPTS),
    Scenario(
        "template_create_index",
        lambda: op.create_index(f"ix_{TABLE}_email", TABLE, ["email"]),
        "ALGORITHM=INPLACE LOCK=NONE",
        TEMPLATE_OPTS,
    ),
    Scenario("stock_type_change", widen_touched, "none"),
    Scenario("template_type_change", widen_touched, "ALGORITHM=INPLACE, LOCK=NONE", TEMPLATE_OPTS),
)


def measure_all(url: str, rows: int) -> None:
    """Every scenario in turn, each on a fresh table; one line if the server is absent."""
    register_online_ddl()
    try:
        sa.create_engine(url, poolclass=sa.pool.NullPool).connect().close()
    except sa.exc.DBAPIError as error:
        where = sa.make_url(url).render_as_string(hide_password=True)
        report(pattern="mysql", skipped=f"no server at {where} ({error.orig}): set TEST_MYSQL_URL")
        return
    for scenario in SCENARIOS:
        measure(url, scenario, rows)


def main() -> None:
    options = arguments(__doc__)
    measure_all(mysql_url(options.url), options.rows)


if __name__ == "__main__":
    main()
