"""`alembic-template fleet`: one alembic command for every tenant, N tenants at a time.

    alembic-template fleet --tenants acme,globex --concurrency 8 upgrade head
    alembic-template fleet --tenants-query "SELECT name FROM public.tenants" upgrade head

Each tenant runs `alembic -x tenant=NAME <command>` (a PostgreSQL schema or a MySQL
database, see migrations/alembic_env_tenants.py) in one of N worker processes
(fleet_worker.py says why processes, and why long-lived ones). Before any starts, one
connection reads every tenant's revision, and an `upgrade` or `downgrade` to a fixed
target skips the tenants already there, so a rerun after a failure does only what is left.
A failing tenant does not stop the others; the command ends with a table (tenant, from,
to, seconds, result) and fails if any tenant did. Connections: the fleet's one, and each
running tenant's one (more while a revision runs backfill(): one per its workers).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

# The rule of migrations/alembic_env_tenants.py (tests/test_fleet.py keeps them equal).
TENANT_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
SYSTEM_NAMES = re.compile(r"pg_.*|information_schema|mysql|performance_schema|sys")
# The fleet reads versions through a sync driver, whatever driver the URL names.
SYNC_DRIVERS = {"asyncpg": "psycopg", "aiomysql": "pymysql", "asyncmy": "pymysql"}
# Queries of many tenants' versions go in chunks of this many (one UNION ALL each).
CHUNK = 500
# A tenant without revisions (no version table, or an empty one), as alembic says it.
BASE = "base"
# A tenant whose schema or database does not exist (yet).
MISSING = "(missing)"


@dataclass
class Outcome:
    """One tenant's line of the summary table."""

    tenant: str
    before: str
    after: str = ""
    seconds: float = 0.0
    result: str = ""

    @property
    def failed(self) -> bool:
        return self.result.startswith("failed")


def add_parser(subparsers: Any) -> None:
    """Add `fleet` to alembic-template's subcommands."""
    parser = subparsers.add_parser(
        "fleet",
        help="Run an alembic command for every tenant, N at a time.",
        description=__doc__.split("\n\n")[0],
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tenants", help="the tenants' names, separated by commas")
    which.add_argument(
        "--tenants-query", help="SQL whose first column lists the tenants, e.g. SELECT ..."
    )
    parser.add_argument(
        "--concurrency", type=positive, default=4, help="tenants run at once (default: 4)"
    )
    parser.add_argument(
        "alembic_command", nargs=argparse.REMAINDER, help="the alembic command, e.g. upgrade head"
    )
    names = ["tenants", "tenants_query", "concurrency", "alembic_command"]
    parser.set_defaults(cmd=(fleet, names, []))


def positive(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def fleet(
    config: Config,
    tenants: str | None,
    tenants_query: str | None,
    concurrency: int,
    alembic_command: Sequence[str],
) -> None:
    """Run the alembic command for every tenant; fail if any tenant failed."""
    command = list(alembic_command)
    refuse_command(config, command)
    names = listed(tenants) if tenants is not None else []
    engine = sa.create_engine(fleet_url(config), poolclass=sa.pool.NullPool, future=True)
    try:
        with engine.connect() as connection:
            names = names or queried(connection, tenants_query or "")
            outcomes = [
                Outcome(name, before) for name, before in versions(connection, names).items()
            ]
            target = target_of(config, command)
            for outcome in outcomes:
                if target is not None and outcome.before == target:
                    outcome.after, outcome.result = outcome.before, "skipped: at target"
            run_all(config, connection, command, outcomes, concurrency)
    except sa.exc.DBAPIError as error:
        url = engine.url.render_as_string(hide_password=True)
        raise CommandError(f"fleet: the database at {url} failed: {first_line(error)}") from None
    finally:
        engine.dispose()


def refuse_command(config: Config, command: list[str]) -> None:
    """One line for a command the fleet cannot run for each tenant."""
    if not command:
        raise CommandError("fleet: name the alembic command: fleet --tenants a,b upgrade head")
    if "--sql" in command:
        raise CommandError(
            "fleet: --sql writes one script per tenant; run alembic -x tenant=NAME "
            f"{' '.join(command)} for each instead"
        )
    if any(x.split("=", 1)[0].strip() == "tenant" for x in x_arguments(config)):
        raise CommandError("fleet: -x tenant is the fleet's to set; name tenants with --tenants")


def x_arguments(config: Config) -> list[str]:
    """The -x arguments given before `fleet`, passed on to every tenant's command."""
    return list(getattr(config.cmd_opts, "x", None) or [])


def fleet_url(config: Config) -> sa.engine.URL:
    """The URL env.py migrates ($DATABASE_URL, else sqlalchemy.url), with a sync driver."""
    raw = os.environ.get("DATABASE_URL") or config.get_alembic_option("sqlalchemy.url")
    if not raw:
        raise CommandError("fleet: no database URL: set DATABASE_URL or sqlalchemy.url")
    try:
        url = sa.engine.make_url(raw)
    except sa.exc.ArgumentError:
        raise CommandError("fleet: the database URL is not a URL") from None
    if url.get_backend_name() == "sqlite":
        raise CommandError("fleet: SQLite has no schemas to hold tenants (see -x tenant)")
    driver = SYNC_DRIVERS.get(url.get_driver_name())
    return url.set(drivername=f"{url.get_backend_name()}+{driver}") if driver else url


def listed(tenants: str) -> list[str]:
    """The tenants of --tenants a,b, checked."""
    return checked([name.strip() for name in tenants.split(",") if name.strip()])


def queried(connection: Any, query: str) -> list[str]:
    """The tenants in the first column of --tenants-query, checked."""
    # Sent as written (a text() would take ":name" for a parameter), with % escaped for
    # the drivers whose parameters are %s (psycopg, PyMySQL).
    if connection.dialect.paramstyle in ("format", "pyformat"):
        query = query.replace("%", "%%")
    names = [str(row[0]) for row in connection.exec_driver_sql(query)]
    connection.rollback()
    return checked(names)


def checked(names: list[str]) -> list[str]:
    """Tenant names as env.py accepts them, each once, in the order given."""
    bad = [n for n in names if not TENANT_NAME.fullmatch(n) or SYSTEM_NAMES.fullmatch(n)]
    if bad:
        raise CommandError(
            f"fleet: {', '.join(map(repr, bad[:5]))}: not tenant names; use lowercase letters, "
            "digits and _ (at most 63, not starting with a digit), and not a system schema"
        )
    if not names:
        raise CommandError("fleet: no tenants to run: --tenants is empty or the query found none")
    return list(dict.fromkeys(names))


def versions(connection: Any, names: list[str]) -> dict[str, str]:
    """Each tenant's revisions as "rev1, rev2", BASE, or MISSING (no such schema or
    database), with three queries per CHUNK tenants on the fleet's connection."""
    found: dict[str, str] = {}
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        schemata = information_schema("schemata", "schema_name")
        existing = set(in_column(connection, schemata, schemata.c.schema_name, chunk))
        tables = information_schema("tables", "table_schema", "table_name")
        versioned = set(
            in_column(
                connection, tables, tables.c.table_schema, chunk, table_name="alembic_version"
            )
        )
        revisions: dict[str, list[str]] = {name: [] for name in chunk}
        selects = [
            sa.select(sa.literal(name).label("tenant"), version_table(name).c.version_num)
            for name in chunk
            if name in versioned
        ]
        if selects:
            for tenant, revision in connection.execute(sa.union_all(*selects)):
                revisions[tenant].append(revision)
        for name in chunk:
            found[name] = ", ".join(sorted(revisions[name])) or BASE
            found[name] = found[name] if name in existing else MISSING
    connection.rollback()
    return found


def information_schema(name: str, *columns: str) -> sa.TableClause:
    """A view of information_schema, which PostgreSQL and MySQL both have."""
    return sa.table(name, *map(sa.column, columns), schema="information_schema")


def in_column(
    connection: Any, view: sa.TableClause, column: Any, names: list[str], **equal: str
) -> list[str]:
    """The names among `names` found in a column of an information_schema view."""
    conditions = [column.in_(names)] + [view.c[key] == value for key, value in equal.items()]
    return [str(row[0]) for row in connection.execute(sa.select(column).where(*conditions))]


def version_table(schema: str) -> sa.TableClause:
    """alembic's version table of one tenant (a schema, or a MySQL database)."""
    return sa.table("alembic_version", sa.column("version_num"), schema=schema)


def target_of(config: Config, command: list[str]) -> str | None:
    """The revisions an `upgrade`/`downgrade` to a fixed target ends at, as versions() writes
    them; None where a tenant's revision cannot tell (relative targets, other commands)."""
    if len(command) != 2 or command[0] not in ("upgrade", "downgrade"):
        return None
    target = command[1]
    if target == "base":
        return BASE
    if re.search(r"[+-]\d|:", target):
        return None
    try:
        script = ScriptDirectory.from_config(config)
        if target in ("head", "heads"):
            revisions = script.get_heads()
        else:
            revisions = [r.revision for r in script.get_revisions(target) if r is not None]
    except Exception:  # alembic itself then says what is wrong, per tenant
        return None
    return ", ".join(sorted(revisions)) or None


def run_all(
    config: Config, connection: Any, command: list[str], outcomes: list[Outcome], workers: int
) -> None:
    """Run the tenants not skipped on `workers` worker processes, with a progress bar; then
    print the summary table and fail if any tenant failed."""
    to_run = [outcome for outcome in outcomes if not outcome.result]
    logs = Path(tempfile.mkdtemp(prefix="alembic-fleet-"))
    jobs: queue.Queue[Outcome] = queue.Queue()
    for outcome in to_run:
        jobs.put(outcome)
    done: queue.Queue[Outcome] = queue.Queue()
    argv = global_arguments(config)
    slots = [
        threading.Thread(target=work, args=(jobs, done, argv, command, logs), daemon=True)
        for _ in range(min(workers, len(to_run)))
    ]
    for slot in slots:
        slot.start()
    errors = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    ) as progress:
        bar = progress.add_task(
            f"{command[0]} ({len(outcomes) - len(to_run)} skipped)", total=len(to_run)
        )
        for _ in to_run:
            outcome = done.get()
            outcome.after = versions(connection, [outcome.tenant])[outcome.tenant]
            progress.advance(bar)
    for slot in slots:
        slot.join()
    Console().print(summary(outcomes, command))
    failed = [outcome.tenant for outcome in outcomes if outcome.failed]
    if not failed:
        shutil.rmtree(logs, ignore_errors=True)
        return
    named = ", ".join(failed[:10]) + (f" and {len(failed) - 10} more" if failed[10:] else "")
    raise CommandError(
        f"fleet: {len(failed)} of {len(outcomes)} tenants failed ({named}); their output is "
        f"in {logs}; run the fleet again to retry them"
    )


def global_arguments(config: Config) -> list[str]:
    """alembic's options given before `fleet` (-c, -n, -x), for each tenant's command."""
    options = config.cmd_opts
    argv: list[str] = []
    configs = getattr(options, "config", None) or []
    for name in [configs] if isinstance(configs, str) else configs:
        argv += ["-c", name]
    if getattr(options, "name", "alembic") != "alembic":
        argv += ["-n", options.name]
    for x in x_arguments(config):
        argv += ["-x", x]
    return argv


def work(
    jobs: queue.Queue[Outcome],
    done: queue.Queue[Outcome],
    argv: list[str],
    command: list[str],
    logs: Path,
) -> None:
    """One worker slot: feed tenants to a worker process until none are left."""
    worker: subprocess.Popen[str] | None = None
    while True:
        try:
            outcome = jobs.get_nowait()
        except queue.Empty:
            break
        if worker is None:
            worker = start_worker()
        log = logs / f"{outcome.tenant}.log"
        job = {"argv": [*argv, "-x", f"tenant={outcome.tenant}", *command], "log": str(log)}
        started = time.monotonic()
        answer = ask(worker, job)
        outcome.seconds = time.monotonic() - started
        if answer is None:  # the worker died with the tenant's command: start another
            outcome.result = f"failed: the worker process ended ({worker.wait()})"
            worker = None
        elif answer["status"] == 0:
            outcome.result = "ok"
        else:
            outcome.result = f"failed: {reason(log)}"
        done.put(outcome)
    if worker is not None:
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait()


def start_worker() -> subprocess.Popen[str]:
    """A worker process (fleet_worker.py) with this interpreter and environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "alembic_template.fleet_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def ask(worker: subprocess.Popen[str], job: dict[str, Any]) -> dict[str, Any] | None:
    """Send one job to a worker and wait for its answer; None if the worker is gone."""
    assert worker.stdin is not None and worker.stdout is not None
    try:
        worker.stdin.write(json.dumps(job) + "\n")
        worker.stdin.flush()
    except BrokenPipeError:
        return None
    line = worker.stdout.readline()
    return json.loads(line) if line else None


def reason(log: Path) -> str:
    """The line saying why a tenant failed: alembic's FAILED line, else the last line."""
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("FAILED: "):
            return shortened(line.removeprefix("FAILED: "))
    return shortened(lines[-1]) if lines else "no output"


def shortened(line: str, limit: int = 200) -> str:
    """A line cut to fit a table cell; the whole of it is in the tenant's log."""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def summary(outcomes: list[Outcome], command: list[str]) -> Table:
    """The table the fleet ends with: a row per tenant."""
    failed = sum(outcome.failed for outcome in outcomes)
    table = Table(title=f"{' '.join(command)}: {len(outcomes)} tenants, {failed} failed")
    for column in ("tenant", "from", "to", "seconds", "result"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for outcome in outcomes:
        style = "red" if outcome.failed else None
        seconds = f"{outcome.seconds:.1f}" if outcome.seconds else ""
        table.add_row(
            outcome.tenant, outcome.before, outcome.after, seconds, outcome.result, style=style
        )
    return table


def first_line(error: sa.exc.DBAPIError) -> str:
    """The first line of a database error's own message."""
    lines = str(error.orig or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
