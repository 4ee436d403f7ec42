"""Batched, resumable backfills for data migrations, correct on big and busy tables.

    from alembic_env_backfill import backfill

    users = sa.table("users", sa.column("id", sa.Integer), sa.column("phone", sa.String))
    backfill(users, values={"phone": ""}, where=users.c.phone.is_(None))

The table is walked in ranges of its key (keyset pagination: `key > last ORDER BY key`,
never OFFSET, whose pages shift while rows change), and each range is changed by one
set-based statement. On PostgreSQL and MySQL each batch commits on its own connection, so
row locks last one batch, and the point to resume from is saved in that same transaction:
killed and run again, a backfill carries on where it stopped and changes no row twice.
On SQLite the batches run in the migration's own transaction.

Fast: on PostgreSQL and MySQL the key is cut into `workers` ranges of about equal size,
walked at the same time on a connection each, each with its own resume point (the cut is
saved first, so a rerun walks the same ranges). Batches grow or shrink so that each one's
transaction, and the row locks it holds, lasts about BATCH_SECONDS. SQLite, a caller's
transaction and async drivers use one worker. And kind to replicas: before each batch,
alembic_env_replicas waits while a replica lags more than max_replica_lag.

Exactly once, also when the revision runs again: a finished backfill stays marked done
until its revision is recorded (env.py's on_version_apply calls forget_backfills() in the
transaction that records it), so env.py's retry after a lock timeout, or a rerun after a
crash, skips it. Each call site keeps its own resume point. And because the batches
commit, schema or data changes before a backfill in the same upgrade() would be committed
half-way: refuse_changes_before_backfills() refuses such a revision before it starts.

It lives beside env.py; alembic's prepend_sys_path puts this folder on sys.path.
"""

from __future__ import annotations

import ast
import inspect
import json
import logging
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError
from alembic_env_config import future_engine
from alembic_env_locks import timeout_statements
from alembic_env_replicas import ReplicaWatch, replica_watch
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Executable, TableClause

log = logging.getLogger("alembic.backfill")

# The first batch's rows, small enough for a slow or busy server; later batches are sized
# to last about BATCH_SECONDS each, well under half a second, between MIN_BATCH_SIZE and
# MAX_BATCH_SIZE rows.
DEFAULT_BATCH_SIZE = 5_000
BATCH_SECONDS = 0.1
MIN_BATCH_SIZE, MAX_BATCH_SIZE = 500, 500_000
# Connections walking the table at once (PostgreSQL and MySQL; SQLite has one writer).
DEFAULT_WORKERS = 4

# One row per backfill under way or finished but not yet recorded: where to resume, or
# that it is done. env.py keeps autogenerate off it; the table is dropped when empty.
progress_table = sa.Table(
    "alembic_backfill_progress",
    sa.MetaData(),
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("revision", sa.String(64), nullable=True),
    sa.Column("last_key", sa.String(200), nullable=False),
    sa.Column("rows_done", sa.BigInteger, nullable=False),
    sa.Column("finished", sa.Boolean, nullable=False),
)
# SQL that changes something, when a revision runs it itself before a backfill.
CHANGING_SQL = ("ALTER", "CREATE", "DROP", "RENAME", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
# op.* calls that change nothing, and so may come before a backfill.
HARMLESS_OPS = {"get_bind", "get_context", "f", "inline_literal", "implementation_for"}

BatchStatement = Callable[[ColumnElement[bool]], Executable]


def backfill(
    table: TableClause,
    values: Mapping[str, Any] | None = None,
    *,
    where: ColumnElement[bool] | None = None,
    statement: BatchStatement | None = None,
    key: str = "id",
    batch_size: int | None = None,
    workers: int = DEFAULT_WORKERS,
    pause: float = 0.0,
    name: str | None = None,
) -> int:
    """Change a table batch by batch; return the rows changed, resumed runs included.

    values:     UPDATE table SET values for the rows matching `where`, or
    statement:  any statement, built per batch from the condition selecting the batch's
                keys, e.g. lambda batch: insert(b).from_select(..., select(...).where(batch))
    key:        a unique column to walk the table by (the primary key), declared in table
    batch_size: rows per batch; by default sized to take about BATCH_SECONDS each
    workers:    connections changing ranges of the table at once (1 on SQLite)
    pause:      seconds each worker sleeps between batches, to spare a busy database
    name:       where the resume point is kept; by default the revision, its function,
                the order of this call among the run's backfills, and the table
    """
    if (values is None) == (statement is None):
        raise CommandError("backfill: pass either values= or statement=, not both or neither")
    key_column = key_column_of(table, key)
    if not isinstance(workers, int) or workers < 1:
        raise CommandError(f"backfill {table.name}: workers={workers!r}; pass a whole number >= 1")
    if values is not None:
        assignments = typed(table, values)

        def statement(batch: ColumnElement[bool]) -> Executable:
            return sa.update(table).where(batch, *where_clauses(where)).values(assignments)

    if op.get_context().as_sql:
        # --sql has no rows to walk: the review shows the whole change as one statement.
        op.execute(statement(sa.true()))
        return 0
    walk = KeysetWalk(table, key_column, statement, where, batch_size, pause, workers)
    default_name, revision = call_site(table)
    return walk.run(op.get_bind(), name or default_name, revision)


def key_column_of(table: TableClause, key: Any) -> sa.ColumnClause:
    """The single column batches are walked by; composite keys are refused plainly."""
    if not isinstance(key, str):
        raise CommandError(
            f"backfill {table.name}: key={key!r} is composite; pass one unique column "
            "(add a unique surrogate key first), or change the table in one statement"
        )
    if key not in table.c:
        raise CommandError(
            f"backfill {table.name}: declare the key column in the table, "
            f'e.g. sa.table("{table.name}", sa.column("{key}", sa.Integer), ...)'
        )
    return table.c[key]


def typed(table: TableClause, values: Mapping[str, Any]) -> dict[str, Any]:
    """Bind plain values to untyped columns with their own type, so --sql can render them."""
    assignments = dict(values)
    for name, value in values.items():
        untyped = name not in table.c or isinstance(table.c[name].type, sa.types.NullType)
        if untyped and not isinstance(value, sa.ClauseElement):
            assignments[name] = sa.literal(value)
    return assignments


def session_settings(dialect_name: str, opts: Mapping[str, Any]) -> list[str]:
    """The batch connection's settings: the migration's timeouts, and a cheaper commit.

    A batch waiting behind an application's row lock gives up after lock_timeout, like
    the migration's own statements; env.py then retries the revision, which resumes here.
    """
    statements = []
    if dialect_name == "postgresql":
        # A batch and its resume point commit together, so a crash can lose only whole
        # batches that a rerun redoes: no need to wait for each WAL flush.
        statements.append("SET synchronous_commit TO OFF")
    # Set by alembic-template's env.py; absent under an env.py of another origin.
    lock, statement = opts.get("lock_timeout"), opts.get("statement_timeout")
    return statements + timeout_statements(dialect_name, lock, statement, waits_for="rows")


def where_clauses(where: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    """`where` as a list to unpack into .where(), empty when there is none."""
    return [] if where is None else [where]


def migration_frame() -> Any:
    """The frame of the revision's upgrade() or downgrade() that (perhaps through helpers
    of its own) called backfill(); None outside a migration."""
    frame = sys._getframe(2)
    while frame is not None:
        names = frame.f_globals
        is_revision = isinstance(names.get("revision"), str) and "down_revision" in names
        if is_revision and frame.f_code.co_name in ("upgrade", "downgrade"):
            return frame
        frame = frame.f_back
    return None


# The migration function run now, and how many backfills it has started: the n-th
# backfill of a run keeps the n-th resume point, however the revision reaches it (a loop,
# a helper) and wherever its line moves in an edit between a failed run and the rerun.
current_run: dict[str, Any] = {"frame": None, "calls": 0}


def call_site(table: TableClause) -> tuple[str, str | None]:
    """The resume point's name for this backfill() call, and its revision id."""
    frame = migration_frame()
    if frame is None:  # called outside a migration: name it by the caller's line
        caller = sys._getframe(2)
        return f"{caller.f_globals.get('__name__', '?')}:{caller.f_lineno}.{table.name}", None
    if current_run["frame"] is not frame:  # a new run (a retry is a new call, a new frame)
        current_run.update(frame=frame, calls=0)
    current_run["calls"] += 1
    revision = frame.f_globals["revision"]
    return f"{revision}.{frame.f_code.co_name}#{current_run['calls']}.{table.name}", revision


def forget_backfills(ctx: Any, step: Any, **kwargs: Any) -> None:
    """on_version_apply: a revision is recorded, so its finished backfills are forgotten.

    It runs in the transaction that records the revision: until then a retry or a rerun
    finds them done and skips them.
    """
    if ctx.as_sql or ctx.connection is None:
        return
    connection = ctx.connection
    if not sa.inspect(connection).has_table(progress_table.name):
        return
    revisions = list(getattr(step, "up_revision_ids", ()) or [step.up_revision_id])
    connection.execute(progress_table.delete().where(progress_table.c.revision.in_(revisions)))
    if not connection.execute(sa.select(sa.func.count()).select_from(progress_table)).scalar():
        progress_table.drop(connection)


def keeps_finished_backfills() -> bool:
    """Whether env.py forgets finished backfills when it records their revision."""
    hooks = op.get_context().opts.get("on_version_apply") or ()
    return forget_backfills in (hooks if isinstance(hooks, list | tuple) else (hooks,))


def refuse_changes_before_backfills(migration_context: Any) -> None:
    """Refuse, before anything runs, revisions that change things before a backfill.

    A backfill commits its batches, and with them what its revision did before it: a
    failure then leaves those changes applied and the revision unrecorded, and a rerun
    applies them again. Changes after the last backfill are safe (it is remembered as
    done), and so are alembic_env_safe_ddl's steps, which can run again.
    """
    steps_of = migration_context.opts.get("fn")
    if getattr(steps_of, "__name__", None) not in ("upgrade", "downgrade"):
        return  # not applying revisions (revision, check, stamp, history ...)
    in_callers_transaction = getattr(migration_context, "_in_external_transaction", False)
    if migration_context.as_sql or migration_context.dialect.name == "sqlite":
        return  # one script, or one transaction: nothing commits half-way
    if in_callers_transaction:
        return  # the batches run in the caller's transaction: nothing commits either
    heads = migration_context.get_current_heads()
    for step in steps_of(heads, migration_context):
        function = getattr(step, "migration_fn", None)
        change = change_before_backfill(function) if function else None
        if change:
            revision = getattr(step.revision, "revision", "?")
            raise CommandError(
                f"revision {revision} runs {change} before backfill() in "
                f"{function.__name__}(); the backfill commits batch by batch, so a failure "
                "would leave that committed and the revision unrecorded: move it to a "
                "revision of its own before this one, as the stairway does "
                "(alembic -x template=stairway revision -m ...)"
            )


def change_before_backfill(function: Callable[..., Any]) -> str | None:
    """The first change a migration function makes before its last backfill() call, or in
    a loop that also backfills: an op.* call, or SQL that changes something run through
    op.get_bind() (read from the source; changes inside helper functions are not seen)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        # Revisions are loaded from their files, outside sys.modules: read the file.
        with open(function.__code__.co_filename, encoding="utf-8") as source:
            module = ast.parse(source.read())
    except (OSError, TypeError, SyntaxError, UnicodeDecodeError):
        return None
    names_of_backfill = {"backfill"} | {
        alias.asname
        for node in ast.walk(module)
        if isinstance(node, ast.ImportFrom) and node.module == "alembic_env_backfill"
        for alias in node.names
        if alias.name == "backfill" and alias.asname
    }

    def called_name(call: ast.Call) -> str:
        target = call.func
        return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")

    def changes_and_backfills(node: ast.AST) -> tuple[list[ast.Call], list[tuple[ast.Call, str]]]:
        calls = sorted(
            (n for n in ast.walk(node) if isinstance(n, ast.Call)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        backfills = [call for call in calls if called_name(call) in names_of_backfill]
        changes = [(call, change_made_by(call, called_name(call))) for call in calls]
        return backfills, [(call, change) for call, change in changes if change]

    backfills, changes = changes_and_backfills(tree)
    if not backfills:
        return None
    last = (backfills[-1].lineno, backfills[-1].col_offset)
    # Any change before the last backfill: the batches would commit it half-way.
    for call, change in changes:
        if (call.lineno, call.col_offset) < last:
            return change
    # A loop that backfills and changes: its next turn's batches commit the change.
    for loop in (n for n in ast.walk(tree) if isinstance(n, ast.For | ast.While)):
        in_loop_backfills, in_loop_changes = changes_and_backfills(loop)
        if in_loop_backfills and in_loop_changes:
            return in_loop_changes[0][1]
    return None


def change_made_by(call: ast.Call, name: str) -> str | None:
    """op.NAME(), or op.get_bind().execute("UPDATE ...") with SQL that changes something."""
    target = call.func
    if not isinstance(target, ast.Attribute):
        return None
    if getattr(target.value, "id", "") == "op":
        return None if name in HARMLESS_OPS else f"op.{name}()"
    on_bind = isinstance(target.value, ast.Call) and "get_bind" in ast.unparse(target.value)
    if on_bind and name in ("execute", "exec_driver_sql") and call.args:
        sql = next((n.value for n in ast.walk(call.args[0]) if isinstance(n, ast.Constant)), None)
        if isinstance(sql, str) and sql.lstrip().upper().startswith(CHANGING_SQL):
            return f"op.get_bind().{name}({sql.split()[0]} ...)"
    return None


@dataclass
class Part:
    """A range of keys one worker walks, after `lower` up to `upper` (None: no bound),
    resuming after `last`; its resume point is saved under the name `row`."""

    row: str
    lower: Any
    upper: Any
    last: Any
    done: int = 0
    finished: bool = False
    greatest: Any = None  # the table's greatest key when last read (stepping, open end)


class BatchSize:
    """Rows per batch (or keys, when stepping through whole-number keys): as given, or
    adapted after each batch so that its transaction, and the row locks it holds, lasts
    about BATCH_SECONDS."""

    def __init__(self, given: int | None) -> None:
        self.rows = given or DEFAULT_BATCH_SIZE
        self.adaptive = given is None

    def after(self, seconds: float, changed: int) -> None:
        if not self.adaptive or seconds <= 0:
            return
        factor = min(1.5, max(0.5, BATCH_SECONDS / seconds))  # no wild swings
        if changed:  # keys are not rows where they are sparse: cap the rows, not the keys
            factor = min(factor, MAX_BATCH_SIZE / changed)
        self.rows = max(MIN_BATCH_SIZE, int(self.rows * factor))


class KeysetWalk:
    """One backfill: batches of keys after the last one done, each changed at once; on
    PostgreSQL and MySQL in `workers` ranges of the key at the same time."""

    def __init__(
        self,
        table: TableClause,
        key_column: sa.ColumnClause,
        statement: BatchStatement,
        where: ColumnElement[bool] | None,
        batch_size: int | None,
        pause: float,
        workers: int,
    ) -> None:
        self.table = table
        self.key = key_column
        self.statement = statement
        self.where = where
        self.batch_size = batch_size
        self.pause = pause
        self.workers = workers
        self.watch = ReplicaWatch(table.name, None, 0)
        # Adaptive batches of whole-number keys step through the keys, (last, last + n]:
        # no query to find where a batch ends, nor to count the rows first.
        try:
            self.stepping = batch_size is None and key_column.type.python_type is int
        except NotImplementedError:
            self.stepping = False

    def run(self, bind: Connection, name: str, revision: str | None) -> int:
        """Walk the table on the right connections for the database."""
        self.name, self.revision = name, revision
        context = op.get_context()
        if bind.dialect.name == "sqlite":
            # SQLite has one writer at a time: the migration's transaction is the batch.
            return self.in_one_transaction(bind, "SQLite has one writer")
        if getattr(context, "_in_external_transaction", False):
            # The caller handed over a connection inside its own transaction (a test, say):
            # that transaction is not ours to commit, so the batches run within it.
            log.info("backfill %s: in the caller's transaction, uncommitted", self.table.name)
            return self.in_one_transaction(bind, "one transaction")
        if bind.dialect.is_async and self.workers > 1:
            # An async driver's connections work only in the migration's own thread.
            log.info("backfill %s: 1 worker (async driver)", self.table.name)
            self.workers = 1
        self.keep_finished = keeps_finished_backfills()
        self.session = session_settings(bind.dialect.name, context.opts)
        # Commit what the migration did so far (its locks go with it), then batch on
        # connections of our own, one transaction per batch.
        # (future_engine: a caller's SQLAlchemy 1.4 engine would autocommit each statement.)
        engine = future_engine(bind.engine)
        with (
            context.autocommit_block(),
            replica_watch(engine, self.table.name, context.opts) as self.watch,
            engine.connect() as connection,
        ):
            return self.committing(connection, engine)

    def in_one_transaction(self, connection: Connection, why: str) -> int:
        """All batches in the connection's transaction, which rolls back whole: nothing to
        resume, and no table to create (MySQL would commit the caller's transaction)."""
        if self.workers > 1:
            log.info("backfill %s: 1 worker (%s)", self.table.name, why)
        part = Part(self.name, None, None, None)
        meter = ProgressMeter(self.table.name, self.rows_in(connection, part), 0)
        rows = self.batch_size or DEFAULT_BATCH_SIZE
        while True:
            upper = self.batch_end(connection, part, rows)
            meter.add(self.execute(connection, self.batch(part, upper)))
            if upper is None:
                break
            part.last = upper
            if self.pause:
                time.sleep(self.pause)
        meter.finish(1)
        return meter.done

    def committing(self, connection: Connection, engine: Any) -> int:
        """Batches that commit, each with its resume point; parts in parallel threads."""
        self.prepare(connection)
        with connection.begin():
            progress_table.create(connection, checkfirst=True)
        with connection.begin():
            parts, done, finished = self.resume_point(connection)
            if finished:
                log.info(
                    "backfill %s: done before this revision was recorded (%d rows); skipped",
                    self.table.name,
                    done,
                )
                return done
            total = None
            if parts is None:
                parts, total = self.plan(connection)
            if total is None:
                total = done + sum(self.rows_in(connection, p) for p in parts if not p.finished)
        meter = ProgressMeter(self.table.name, total, done, estimated=self.stepping)
        if len(parts) == 1 and parts[0].row == self.name:
            self.walk_part(connection, parts[0], meter, None)
        else:
            try:
                self.in_parallel(engine, [part for part in parts if not part.finished], meter)
            except BaseException:
                connection.invalidate()  # may be gone too: close it without a rollback
                raise
            with connection.begin():
                self.conclude(connection, parts)
        meter.finish(len(parts))
        return sum(part.done for part in parts)

    def prepare(self, connection: Connection) -> None:
        """The batch connection's session settings (see session_settings)."""
        with connection.begin():
            for statement in self.session:
                connection.exec_driver_sql(statement)

    def plan(self, connection: Connection) -> tuple[list[Part], int]:
        """Split the rows to do into up to `workers` ranges, at least a batch each; saved
        at once (a rerun must walk the same ranges). And the row count."""
        if self.stepping:  # the keys' span: at least the rows, and no scan to count them
            least, greatest = connection.execute(
                sa.select(sa.func.min(self.key), sa.func.max(self.key))
            ).first()
            total = 0 if least is None else greatest - least + 1
        else:
            total = self.rows_in(connection, Part(self.name, None, None, None))
        count = min(self.workers, max(1, -(-total // (self.batch_size or DEFAULT_BATCH_SIZE))))
        bounds: list[Any] = []
        for bound in self.cuts(connection, total, count):
            if bound is not None and (not bounds or bound > bounds[-1]):
                bounds.append(bound)
        parts = self.parts_between(bounds)
        if len(parts) > 1:
            self.save(connection, self.name, {"parts": bounds}, 0)
            for part in parts:
                self.save(connection, part.row, part.lower, 0)
        return parts, total

    def cuts(self, connection: Connection, total: int, count: int) -> list[Any]:
        """Keys cutting the rows into `count` parts: whole-number keys evenly between their
        least and greatest (two index lookups; parts of uneven sizes where the keys are),
        other keys at every total/count-th row (an index scan each)."""
        if count < 2:
            return []
        where = where_clauses(self.where)
        try:
            whole_numbers = self.key.type.python_type is int
        except NotImplementedError:
            whole_numbers = False
        if whole_numbers:
            query = sa.select(sa.func.min(self.key), sa.func.max(self.key)).where(*where)
            least, greatest = connection.execute(query).first()
            if least is None:
                return []
            return [least + (greatest - least) * i // count for i in range(1, count)]
        query = sa.select(self.key).where(*where).order_by(self.key)
        return [
            connection.execute(query.offset(total * i // count - 1).limit(1)).scalar()
            for i in range(1, count)
        ]

    def parts_between(self, bounds: list[Any]) -> list[Part]:
        """The parts cut at `bounds`; one part is the whole table, under the call's name."""
        if not bounds:
            return [Part(self.name, None, None, None)]
        edges = [None, *bounds, None]
        return [
            Part(f"{self.name}#{i + 1}", lower, upper, lower)
            for i, (lower, upper) in enumerate(zip(edges[:-1], edges[1:], strict=True))
        ]

    def in_parallel(self, engine: Any, parts: list[Part], meter: ProgressMeter) -> None:
        """A thread and a connection per part; the first failure stops the others (each
        after its batch under way, which commits with its resume point) and is raised."""
        stop = threading.Event()
        errors: list[BaseException] = []

        def work(part: Part) -> None:
            try:
                connection = engine.connect()
                try:
                    self.prepare(connection)
                    self.walk_part(connection, part, meter, stop)
                finally:
                    # Stopped by a failure, perhaps a lost server: no transaction is open
                    # (each batch committed or rolled back), so close without a rollback
                    # that would fail, and log a traceback, on a connection that is gone.
                    if stop.is_set():
                        connection.invalidate()
                    else:
                        connection.close()
            except BaseException as error:  # handed to the migration's thread below
                errors.append(error)
                stop.set()

        threads = [threading.Thread(target=work, args=(part,), daemon=True) for part in parts]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        finally:
            stop.set()  # an interrupt in this thread stops the workers too
            for thread in threads:
                thread.join()
        if errors:
            raise errors[0]

    def walk_part(
        self, connection: Connection, part: Part, meter: ProgressMeter, stop: Any
    ) -> None:
        """A part's batches, each committed with the part's resume point; the last one
        marks the part done."""
        size = BatchSize(self.batch_size)
        while stop is None or not stop.is_set():
            self.watch.wait_while_lagging(stop)
            started = time.monotonic()
            with connection.begin():
                upper = self.next_end(connection, part, size.rows)
                changed = self.execute(connection, self.batch(part, upper))
                part.done += changed
                if upper is None:
                    self.part_done(connection, part)
                else:
                    self.save(connection, part.row, upper, part.done)
            size.after(time.monotonic() - started, changed)
            meter.add(changed)
            if upper is None:
                part.finished = True
                return
            part.last = upper
            if self.pause:
                time.sleep(self.pause)

    def part_done(self, connection: Connection, part: Part) -> None:
        """In the part's last batch's transaction: done, and known to be done."""
        if part.row != self.name:
            self.save(connection, part.row, None, part.done, finished=True)
        elif self.keep_finished:
            self.finish(connection, part.done)
        else:
            self.forget(connection, [part.row])

    def conclude(self, connection: Connection, parts: list[Part]) -> None:
        """All parts done: the backfill is marked done, and its parts forgotten, at once."""
        rows = [part.row for part in parts]
        connection.execute(progress_table.delete().where(progress_table.c.name.in_(rows)))
        if self.keep_finished:
            self.finish(connection, sum(part.done for part in parts))
        else:
            self.forget(connection, [self.name])

    def execute(self, connection: Connection, in_batch: ColumnElement[bool]) -> int:
        """Run the batch's statement; return the rows it changed."""
        # Without preserve_rowcount, SQLAlchemy reports -1 for INSERT ... SELECT.
        statement = self.statement(in_batch).execution_options(preserve_rowcount=True)
        return max(connection.execute(statement).rowcount, 0)

    def within(self, part: Part) -> list[ColumnElement[bool]]:
        """The keys of the part not done yet, and the rows the backfill is for."""
        conditions = [] if part.last is None else [self.key > part.last]
        if part.upper is not None:
            conditions.append(self.key <= part.upper)
        return conditions + where_clauses(self.where)

    def batch(self, part: Part, upper: Any) -> ColumnElement[bool]:
        """The next batch's keys: up to `upper`, or the rest of the part."""
        conditions = [] if part.last is None else [self.key > part.last]
        end = part.upper if upper is None else upper
        if end is not None:
            conditions.append(self.key <= end)
        return sa.and_(*conditions) if conditions else sa.true()

    def next_end(self, connection: Connection, part: Part, size: int) -> Any:
        """The next batch's last key; None for the part's last batch."""
        if not self.stepping:
            return self.batch_end(connection, part, size)
        if part.last is None:  # the first part, from just before the least key
            least = connection.execute(sa.select(sa.func.min(self.key))).scalar()
            if least is None:
                return None
            part.last = least - 1
        end = part.last + size
        if part.upper is not None:
            return end if end < part.upper else None
        if part.greatest is None or end >= part.greatest:  # rows may have come since
            part.greatest = connection.execute(sa.select(sa.func.max(self.key))).scalar()
        return end if part.greatest is not None and end < part.greatest else None

    def batch_end(self, connection: Connection, part: Part, rows: int) -> Any:
        """The key of the batch's last row; None when fewer than a batch are left."""
        query = (
            sa.select(self.key)
            .where(*self.within(part))
            .order_by(self.key)
            .offset(rows - 1)
            .limit(1)
        )
        return connection.execute(query).scalar()

    def rows_in(self, connection: Connection, part: Part) -> int:
        """How many rows of a part are left, for the progress log's total and time left."""
        query = sa.select(sa.func.count()).select_from(self.table).where(*self.within(part))
        return connection.execute(query).scalar() or 0

    def resume_point(self, connection: Connection) -> tuple[list[Part] | None, int, bool]:
        """Where an earlier run stopped (its parts; None: it never started), the rows it
        changed, and whether it had finished."""
        row = self.saved(connection, self.name)
        if row is None:
            return None, 0, False
        if row.finished:
            return [], row.rows_done, True
        saved = json.loads(row.last_key)
        if not isinstance(saved, dict):  # one part: the whole table
            log.info("backfill %s: resuming after key %s", self.table.name, saved)
            part = Part(self.name, None, None, self.decode(saved), row.rows_done)
            return [part], row.rows_done, False
        parts = self.parts_between([self.decode(bound) for bound in saved["parts"]])
        for part in parts:
            found = self.saved(connection, part.row)
            if found is not None:
                part.last, part.done = self.decode(json.loads(found.last_key)), found.rows_done
                part.finished = bool(found.finished)
        left = sum(not part.finished for part in parts)
        log.info("backfill %s: resuming %d of its %d parts", self.table.name, left, len(parts))
        return parts, sum(part.done for part in parts), False

    def saved(self, connection: Connection, name: str) -> Any:
        """The progress row of that name, or None."""
        columns = progress_table.c
        query = sa.select(columns.last_key, columns.rows_done, columns.finished)
        return connection.execute(query.where(columns.name == name)).first()

    def decode(self, value: Any) -> Any:
        """Turn a saved key back into the column's Python type (UUIDs were saved as text)."""
        try:
            python_type = self.key.type.python_type
        except NotImplementedError:
            return value
        return uuid.UUID(value) if python_type is uuid.UUID and value is not None else value

    def save(
        self, connection: Connection, name: str, last: Any, done: int, finished: bool = False
    ) -> None:
        """Record a resume point, in the batch's own transaction."""
        values = {
            "last_key": json.dumps(last, default=str),
            "rows_done": done,
            "finished": finished,
            "revision": self.revision,
        }
        changed = connection.execute(
            progress_table.update().where(progress_table.c.name == name).values(values)
        ).rowcount
        if not changed:
            connection.execute(progress_table.insert().values(name=name, **values))

    def finish(self, connection: Connection, done: int) -> None:
        """Mark the backfill done, until env.py records its revision (forget_backfills)."""
        self.save(connection, self.name, None, done, finished=True)

    def forget(self, connection: Connection, names: list[str]) -> None:
        """Done, under an env.py that would not forget it: drop the resume points now."""
        connection.execute(progress_table.delete().where(progress_table.c.name.in_(names)))
        if connection.execute(sa.select(sa.func.count()).select_from(progress_table)).scalar():
            return
        progress_table.drop(connection)


class ProgressMeter:
    """Logs rows done, the total, the rate and the time left, at most once a second;
    shared by a backfill's workers."""

    def __init__(self, table: str, total: int, done: int, estimated: bool = False) -> None:
        self.table = table
        self.total = total
        self.of = "of about" if estimated else "of"
        self.started = time.monotonic()
        self.first = self.done = done
        self.last_report = self.started
        self.lock = threading.Lock()

    def add(self, rows: int) -> None:
        with self.lock:
            self.done += rows
            now = time.monotonic()
            if now - self.last_report < 1.0:
                return
            self.last_report = now
            rate = (self.done - self.first) / max(now - self.started, 1e-9)
            left = max(self.total - self.done, 0) / rate if rate else float("inf")
            log.info(
                "backfill %s: %d %s %d rows, %.0f rows/s, about %.0f s left",
                self.table,
                self.done,
                self.of,
                self.total,
                rate,
                left,
            )

    def finish(self, workers: int) -> None:
        seconds = time.monotonic() - self.started
        by = f" by {workers} workers" if workers > 1 else ""
        log.info("backfill %s: %d rows in %.1f s%s", self.table, self.done, seconds, by)
