"""Rewrite the revision history: squash it into one baseline, or rebase one branch on another.

    python migrations/alembic_env_history.py squash [-m MESSAGE]
    python migrations/alembic_env_history.py rebase REV [--force]

(`alembic-template squash` and `alembic-template rebase` run the same functions.) Both read
alembic's config as alembic does: alembic.ini and pyproject.toml in the current folder, or
`-c FILE`. Only alembic, SQLAlchemy and the standard library are needed, so a project runs
this file offline with its own dependencies.

squash folds every revision up to the head into one revision that keeps the head's id: a
database already at the head needs nothing. Its upgrade() is rendered from the schema the
whole history builds on a throwaway database of the configured kind (a SQLite file, or a
scratch database on the configured server), and it is kept only if a database built from
it has the same schema as one built from the history; the old files are then removed.

rebase REV moves the revisions of the branch whose head is REV, those the other head
cannot reach, on top of the other head: the first one's down_revision becomes the other
head, ids stay. When both branches touch a table it refuses, naming it, unless --force.
It lives beside env.py.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import datetime
import fnmatch
import logging
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import render_python_code
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import ops
from alembic.runtime.environment import EnvironmentContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL, Connection

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alembic_env_autogenerate import SYSTEM_TABLES  # noqa: E402
from alembic_env_config import (  # noqa: E402
    CONNECT_ERRORS,
    Settings,
    connection_error,
    first_line,
    make_engine,
    redacted,
)
from alembic_env_integrity import file_checksum  # noqa: E402

# alembic's own table; the other bookkeeping tables are in SYSTEM_TABLES.
VERSION_TABLE = "alembic_version"
# Calls that change rows, not the schema: a revision making them is a data migration.
DATA_CALLS = {"backfill", "bulk_insert", "from_select"}
# sa.insert(t), table.update(): statements; dict.update(x) and list.insert(0, x) are not.
STATEMENT_CALLS = {"insert", "update", "delete"}
DML = re.compile(r"^\s*(insert|update|delete|merge|copy)\b", re.IGNORECASE)
# SQL whose objects reflection does not see: the baseline cannot rebuild them.
NOT_REFLECTED = re.compile(
    r"^\s*(create\s+(or\s+replace\s+)?(function|trigger|procedure|extension|rule|policy|"
    r"event|aggregate|operator|domain|schema)|grant|revoke|comment\s+on)\b",
    re.IGNORECASE,
)
# Where a call names a table: positions of its arguments, and keywords.
TABLE_ARGUMENTS = {
    **dict.fromkeys(
        ("create_table", "drop_table", "add_column", "drop_column", "alter_column"), (0,)
    ),
    **dict.fromkeys(("batch_alter_table", "table", "Table", "bulk_insert"), (0,)),
    **dict.fromkeys(("create_table_comment", "drop_table_comment"), (0,)),
    **dict.fromkeys(("set_not_null", "drop_not_null"), (0,)),
    "rename_table": (0, 1),
    **dict.fromkeys(("create_index", "drop_index", "drop_constraint"), (1,)),
    **dict.fromkeys(("create_unique_constraint", "create_check_constraint"), (1,)),
    **dict.fromkeys(("create_primary_key", "create_exclude_constraint"), (1,)),
    **dict.fromkeys(("add_check_constraint", "add_unique_constraint"), (1,)),
    "create_foreign_key": (1, 2),
    "add_foreign_key": (1, 2),
}
# What those calls are made on: alembic's op, SQLAlchemy (sa.table), the safe steps.
TABLE_RECEIVERS = {"op", "sa", "sqlalchemy", "alembic_env_safe_ddl"}
TABLE_KEYWORDS = {"table_name", "table", "source_table", "referent_table", "new_table_name"}
SQL_TABLE = re.compile(
    r"\b(?:table|into|update|from|join|on)\s+(?:if\s+(?:not\s+)?exists\s+)?[`\"\[]?(\w+)",
    re.IGNORECASE,
)


# --- squash ------------------------------------------------------------------------------


def squash(config: Config, message: str | None = None) -> None:
    """Fold the whole history up to the head into one baseline revision with head's id."""
    script = ScriptDirectory.from_config(config)
    head = single_head(script)
    history = list(reversed(list(script.walk_revisions())))
    url = Settings(config).database_url()
    with quiet(), scratch_databases(url) as (full_url, baseline_url):
        full = make_engine(full_url)
        run_revisions(config, script, full, "upgrade", "history")
        schema = on_connection(full, reflected_schema)
        text = baseline_text(head, history, schema, message or "Baseline")
        with tempfile.TemporaryDirectory(prefix="squash-") as folder:
            draft = Path(folder) / "baseline.py"
            draft.write_text(text, encoding="utf-8")
            prove_baseline(config, script, draft, full, make_engine(baseline_url))
    dropped = data_migrations(history)
    unseen = sorted({revision for revision, _ in unrebuilt_sql(history)})
    for old in history:
        Path(old.path).unlink()
    target = baseline_path(script, head, message or "Baseline")
    target.write_text(text, encoding="utf-8")
    run_write_hooks(script, target)
    count = f"{len(history)} revision{'s' if len(history) > 1 else ''}"
    print(f"squashed {count} into {target.name} (revision {head.revision})")
    if dropped:
        print("data migrations not carried over: " + ", ".join(s.revision for s in dropped))
    if unseen:
        print(
            "note: the baseline does not rebuild functions, triggers, grants and the like of "
            f"{', '.join(unseen)}: its docstring lists their SQL, to copy into it"
        )


def single_head(script: ScriptDirectory) -> Script:
    """The one head to squash up to; one line when there is none or more than one."""
    heads = revision_heads(script)
    if not heads:
        raise CommandError("there are no revisions to squash: migrations/versions/ is empty")
    if len(heads) > 1:
        raise CommandError(
            f"the history has {len(heads)} heads ({', '.join(heads)}): rebase one branch on "
            "the other (rebase REV) or merge them (alembic merge heads), then squash"
        )
    return script.get_revision(heads[0])


def revision_heads(script: ScriptDirectory) -> list[str]:
    """The heads, with alembic's own errors (a missing down revision) as one line."""
    try:
        return sorted(script.get_heads())
    except CommandError:
        raise
    except Exception as error:  # noqa: BLE001 - alembic's RevisionError is no CommandError
        raise CommandError(f"the revision files do not form a history: {error}") from None


@dataclass
class Schema:
    """What a database holds after the history ran: tables, and what MetaData leaves out."""

    metadata: sa.MetaData
    dialect: str
    enums: list[dict[str, Any]] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)
    views: list[tuple[str, str]] = field(default_factory=list)
    quote: Callable[[str], str] = str


@contextmanager
def quiet() -> Iterator[None]:
    """No INFO lines from alembic and env.py about databases nobody keeps."""
    before = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(before)


@contextmanager
def scratch_databases(url: URL) -> Iterator[tuple[URL, URL]]:
    """Two empty databases of the configured kind, removed afterwards.

    The schema must be the target database's own (types, defaults, enums), so a server
    URL gets two scratch databases on that server; SQLite gets two files.
    """
    if url.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="squash-") as folder:
            yield (
                url.set(database=str(Path(folder) / "history.db")),
                url.set(database=str(Path(folder) / "baseline.db")),
            )
        return
    names = [f"squash_{uuid.uuid4().hex[:10]}_{part}" for part in ("history", "baseline")]
    admin = administrative_url(url)
    try:
        execute(admin, *(f"CREATE DATABASE {name}" for name in names))
    except CommandError as error:
        raise CommandError(
            f"{error}; squash builds two throwaway databases on that server: use a "
            "DATABASE_URL whose user may create databases"
        ) from None
    try:
        yield url.set(database=names[0]), url.set(database=names[1])
    finally:
        force = " WITH (FORCE)" if url.get_backend_name() == "postgresql" else ""
        execute(admin, *(f"DROP DATABASE IF EXISTS {name}{force}" for name in names))


def administrative_url(url: URL) -> URL:
    """A URL that can create databases: the configured one, else the server's own."""
    for candidate in (url, url.set(database="postgres" if "postgres" in url.drivername else None)):
        try:
            on_connection(make_engine(candidate), lambda connection: None)
            return candidate
        except CommandError as error:
            failure = error
    raise CommandError(f"{failure}; squash builds throwaway databases on that server")


def execute(url: URL, *statements: str) -> None:
    """Run statements outside a transaction (CREATE and DROP DATABASE need that)."""
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")

    def run(connection: Connection) -> None:
        for statement in statements:
            connection.exec_driver_sql(statement)

    on_connection(engine, run)


def on_connection(engine: Any, work: Callable[[Connection], Any]) -> Any:
    """Run work(connection) through a sync or an async engine; a failed connect is one line."""
    if hasattr(engine, "sync_engine"):

        async def run() -> Any:
            try:
                connection = await engine.connect().start()
            except CONNECT_ERRORS as error:
                raise connection_error(engine.url, error) from None
            try:
                return await connection.run_sync(work)
            except sa.exc.DBAPIError as error:
                reason = first_line(engine.url, error)
                raise CommandError(f"{redacted(engine.url)}: {reason}") from None
            finally:
                await connection.close()
                await engine.dispose()

        return asyncio.run(run())
    try:
        connection = engine.connect()
    except CONNECT_ERRORS as error:
        raise connection_error(engine.url, error) from None
    try:
        with connection:
            return work(connection)
    except sa.exc.DBAPIError as error:
        raise CommandError(f"{redacted(engine.url)}: {first_line(engine.url, error)}") from None
    finally:
        engine.dispose()


def run_revisions(
    config: Config, script: ScriptDirectory, engine: Any, direction: str, what: str
) -> None:
    """Upgrade to the head, or downgrade to base, through the project's env.py."""

    def upgrade(rev: Any, context: Any) -> Any:
        return script._upgrade_revs("heads", rev)

    def downgrade(rev: Any, context: Any) -> Any:
        return script._downgrade_revs("base", rev)

    step = upgrade if direction == "upgrade" else downgrade
    saved = config.cmd_opts, config.attributes.get("connection")
    # env.py reads the command from cmd_opts, and uses a handed-over engine as its database.
    x = getattr(config.cmd_opts, "x", None)
    config.cmd_opts = argparse.Namespace(cmd=(getattr(command, direction), [], []), x=x)
    config.attributes["connection"] = engine
    try:
        with pointed_at(config, engine.url), EnvironmentContext(config, script, fn=step):
            script.run_env()
    except CommandError as error:
        failed = f"{direction} of the {what} on a fresh database failed: {error}"
        raise CommandError(failed) from None
    except Exception as error:  # noqa: BLE001 - a revision's own bug: one line naming it
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CommandError(
            f"{direction} of the {what} on a fresh database failed: "
            f"{type(error).__name__}: {reason}"
        ) from None
    finally:
        config.cmd_opts = saved[0]
        config.attributes["connection"] = saved[1]
        if saved[1] is None:
            del config.attributes["connection"]
        if hasattr(engine, "sync_engine"):
            asyncio.run(engine.dispose())
        else:
            engine.dispose()


@contextmanager
def pointed_at(config: Config, url: URL) -> Iterator[None]:
    """sqlalchemy.url and DATABASE_URL name the scratch database while the history runs.

    Our env.py uses the engine handed over in config.attributes; an env.py that does not
    would otherwise migrate the configured database instead.
    """
    section = config.config_ini_section
    had = config.file_config.get(section, "sqlalchemy.url", raw=True, fallback=None)
    environment = os.environ.get("DATABASE_URL")
    spelled = url.render_as_string(hide_password=False)
    if not config.file_config.has_section(section):
        config.file_config.add_section(section)
    config.file_config.set(section, "sqlalchemy.url", spelled.replace("%", "%%"))
    os.environ["DATABASE_URL"] = spelled
    try:
        yield
    finally:
        if had is None:
            config.file_config.remove_option(section, "sqlalchemy.url")
        else:
            config.file_config.set(section, "sqlalchemy.url", had)
        if environment is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = environment


def is_bookkeeping(name: str) -> bool:
    """alembic's and the migration environment's own tables, and the database's."""
    return name == VERSION_TABLE or any(fnmatch.fnmatchcase(name, p) for p in SYSTEM_TABLES)


def reflected_schema(connection: Connection) -> Schema:
    """The schema the history built, ready to render as one revision."""
    dialect = connection.dialect.name
    metadata = sa.MetaData()
    impl = MigrationContext.configure(connection).impl

    @sa.event.listens_for(metadata, "column_reflect")
    def column_reflect(inspector: Any, table: sa.Table, column_info: dict[str, Any]) -> None:
        # alembic's own correction: a PostgreSQL SERIAL's nextval() default is the SERIAL.
        impl.autogen_column_reflect(inspector, table, column_info)

    metadata.reflect(connection, only=lambda name, _: not is_bookkeeping(name))
    for table in list(metadata.tables.values()):
        if [column.name for column in table.columns] == ["version_num"]:
            metadata.remove(table)  # alembic's version table under another name
    inspector = sa.inspect(connection)
    quote = connection.dialect.identifier_preparer.quote
    schema = Schema(metadata, dialect, quote=quote)
    if dialect == "postgresql":
        schema.enums = list(inspector.get_enums())
        schema.sequences = standalone_sequences(connection)
        for column in (c for table in metadata.tables.values() for c in table.columns):
            if hasattr(column.type, "create_type"):  # created once, first, by upgrade()
                column.type.create_type = False
    for table in metadata.tables.values():
        for item in [*table.indexes, *table.constraints]:
            # Reflection spells out each default (postgresql_include=[]): noise to a reader.
            for key, value in list(item.dialect_kwargs.items()):
                if value in (None, False, [], {}, ()):
                    del item.dialect_kwargs[key]
        for index in table.indexes:
            index.unique = bool(index.unique)  # SQLite reflects 1 for True
        for column in table.columns:
            if column.autoincrement is False and not column.primary_key:
                column.autoincrement = "auto"  # the same outside a primary key, and unwritten
    if dialect in ("mysql", "mariadb"):
        drop_foreign_key_indexes(metadata)
    schema.views = [(name, view_sql(inspector, name)) for name in inspector.get_view_names()]
    return schema


def standalone_sequences(connection: Connection) -> list[str]:
    """CREATE SEQUENCE statements for sequences no column owns (SERIAL makes its own)."""
    rows = connection.exec_driver_sql(
        "SELECT s.sequencename, s.data_type, s.start_value, s.min_value, s.max_value, "
        "s.increment_by, s.cycle FROM pg_sequences s "
        "JOIN pg_class c ON c.relname = s.sequencename "
        "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname "
        "WHERE s.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d "
        "WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) ORDER BY s.sequencename"
    )
    quote = connection.dialect.identifier_preparer.quote
    return [
        f"CREATE SEQUENCE {quote(name)} AS {kind} INCREMENT BY {step} MINVALUE {low} "
        f"MAXVALUE {high} START WITH {start}{' CYCLE' if cycle else ''}"
        for name, kind, start, low, high, step, cycle in rows
    ]


def drop_foreign_key_indexes(metadata: sa.MetaData) -> None:
    """MySQL makes an index for each foreign key, named after it: creating it again fails."""
    for table in metadata.tables.values():
        for index in list(table.indexes):
            if any(
                key.name == index.name
                and [c.name for c in key.columns] == [c.name for c in index.columns]
                for key in table.foreign_key_constraints
            ):
                table.indexes.discard(index)


def view_sql(inspector: Any, name: str) -> str:
    """A CREATE VIEW statement for a view, as the database defines it."""
    definition = str(inspector.get_view_definition(name)).strip().rstrip(";")
    if definition.upper().startswith("CREATE"):
        # MySQL's SHOW CREATE VIEW names the account that made it: leave that out.
        return re.sub(r"\s+DEFINER=\S+", "", definition).replace(" SQL SECURITY DEFINER", "")
    quoted = inspector.bind.dialect.identifier_preparer.quote(name)
    return f"CREATE VIEW {quoted} AS {definition}"


def schema_lines(connection: Connection) -> set[str]:
    """One comparable line per table, column, key, index, constraint, view, enum, sequence."""
    inspector = sa.inspect(connection)
    lines = {f"view {view}" for view in inspector.get_view_names()}
    for table in inspector.get_table_names():
        columns = inspector.get_columns(table)
        if is_bookkeeping(table) or [column["name"] for column in columns] == ["version_num"]:
            continue
        lines.add(f"table {table}")
        for column in columns:
            null = "NULL" if column["nullable"] else "NOT NULL"
            default = column.get("default")
            lines.add(f"column {table}.{column['name']} {column['type']!r} {null} {default}")
        key = inspector.get_pk_constraint(table)
        lines.add(f"primary key {table} {key.get('name')} {key['constrained_columns']}")
        for index in inspector.get_indexes(table):
            columns = index.get("column_names") or index.get("expressions")
            lines.add(f"index {table}.{index['name']} {columns} unique={index['unique']}")
        for unique in inspector.get_unique_constraints(table):
            lines.add(f"unique {table}.{unique['name']} {unique['column_names']}")
        for key in inspector.get_foreign_keys(table):
            target = f"{key['referred_table']}{key['referred_columns']} {key.get('options')}"
            lines.add(f"foreign key {table}.{key['name']} {key['constrained_columns']} {target}")
        for check in inspector.get_check_constraints(table):
            lines.add(f"check {table}.{check['name']} {check['sqltext']}")
    if connection.dialect.name == "postgresql":
        lines |= {f"enum {enum['name']} {enum['labels']}" for enum in inspector.get_enums()}
        lines |= {f"sequence {statement}" for statement in standalone_sequences(connection)}
    return lines


def upgrade_operations(schema: Schema) -> tuple[ops.UpgradeOps, ops.DowngradeOps]:
    """Everything in order of need: types and sequences, tables and indexes, views."""
    up: list[Any] = []
    down: list[Any] = []
    for enum in schema.enums:
        labels = ", ".join("'" + label.replace("'", "''") + "'" for label in enum["labels"])
        name = schema.quote(enum["name"])
        up.append(ops.ExecuteSQLOp(f"CREATE TYPE {name} AS ENUM ({labels})"))
        down.insert(0, ops.ExecuteSQLOp(f"DROP TYPE {name}"))
    for statement in schema.sequences:
        up.append(ops.ExecuteSQLOp(statement))
        name = statement.split()[2]
        down.insert(0, ops.ExecuteSQLOp(f"DROP SEQUENCE {name}"))
    for table in schema.metadata.sorted_tables:
        up.append(ops.CreateTableOp.from_table(table))
        indexes = sorted(table.indexes, key=lambda index: str(index.name))
        up.extend(ops.CreateIndexOp.from_index(index) for index in indexes)
        down.insert(0, ops.DropTableOp.from_table(table))
    for name, statement in schema.views:
        up.append(ops.ExecuteSQLOp(statement))
        down.insert(0, ops.ExecuteSQLOp(f"DROP VIEW {schema.quote(name)}"))
    return ops.UpgradeOps(up), ops.DowngradeOps(down)


def rendered(container: Any, dialect: str, types_made_first: set[str]) -> str:
    """alembic's rendering of operations, as autogenerate writes them."""

    def render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
        # A PostgreSQL enum that upgrade() creates first keeps create_type=False, or
        # create_table would create it again. SQLAlchemy 2 writes it in the type's repr;
        # 1.4 loses it when the table is copied into the operation.
        made_first = getattr(obj, "name", None) in types_made_first
        if kind != "type" or not made_first or not hasattr(obj, "create_type"):
            return False
        text = repr(obj)
        return False if "create_type=" in text else f"postgresql.{text[:-1]}, create_type=False)"

    context = MigrationContext.configure(dialect_name=dialect)
    code = render_python_code(container, migration_context=context, render_item=render_item)
    return code.strip()


def baseline_text(head: Script, history: list[Script], schema: Schema, message: str) -> str:
    """The baseline revision file: head's id, no down revision, the schema built at once."""
    upgrade_ops, downgrade_ops = upgrade_operations(schema)
    enums = {enum["name"] for enum in schema.enums}
    upgrade, downgrade = (
        rendered(upgrade_ops, schema.dialect, enums),
        rendered(downgrade_ops, schema.dialect, enums),
    )
    modules = sorted(set(re.findall(r"\b(postgresql|mysql|sqlite)\.", upgrade + downgrade)))
    imports = "".join(f"from sqlalchemy.dialects import {module}\n" for module in modules)
    dropped = data_migrations(history)
    dropped_lines = "".join(f"    {s.revision}  {first_doc_line(s)}\n" for s in dropped)
    unseen = "".join(f"    {revision}  {sql}\n" for revision, sql in unrebuilt_sql(history))
    dropped_lines, unseen, message = map(in_docstring, (dropped_lines, unseen, message))
    checksums = "".join(f'    "{s.revision}": "{file_checksum(s.path)}",\n' for s in history)
    checksums = "{\n" + checksums + "}"  # built apart: no double braces for Jinja to see
    today = datetime.datetime.now().isoformat(sep=" ")
    # `alembic upgrade LABEL@head` keeps working: the labels of the branch are the baseline's.
    labels = tuple(sorted({label for s in history for label in s.branch_labels})) or None
    return f'''"""{message}

Revision ID: {head.revision}
Revises:
Create Date: {today}

The {len(history)} revision(s) from {history[0].revision} to {head.revision}, squashed into one
by alembic_env_history.py; their files are in version control. A database already at
{head.revision} needs nothing; a new one gets its schema from here, built on {schema.dialect}.

Data migrations not carried over (a new database starts without their rows):
{dropped_lines or "    none"}
SQL whose objects the database cannot show, so not rebuilt here: copy what still applies
into upgrade() and downgrade():
{unseen or "    none"}
"""

import sqlalchemy as sa
from alembic import op
{imports}
# revision identifiers, used by Alembic.
revision: str = {head.revision!r}
down_revision: str | tuple[str, ...] | None = None
branch_labels: str | tuple[str, ...] | None = {labels!r}
depends_on: str | tuple[str, ...] | None = None

# The squashed files' SHA-256: a database that applied exactly these files takes this
# revision as their sum (alembic_env_integrity.py).
squashed_checksums: dict[str, str] = {checksums}


def upgrade() -> None:
    """Build the schema of revision {head.revision} from nothing."""
    {upgrade}


def downgrade() -> None:
    """Drop everything upgrade() built."""
    {downgrade}
'''


def in_docstring(text: str) -> str:
    """Text as it reads inside a triple-quoted docstring: backslashes and quotes kept."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def first_doc_line(script: Script) -> str:
    """The first line of a revision's message."""
    return (script.doc or "").strip().splitlines()[0] if (script.doc or "").strip() else ""


def unrebuilt_sql(history: list[Script]) -> list[tuple[str, str]]:
    """(revision, statement's start) for SQL making functions, triggers, grants, etc.

    Any string of the file that starts so counts: revisions keep such SQL in constants too.
    """
    found = []
    for script in history:
        for node in ast.walk(ast.parse(Path(script.path).read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and NOT_REFLECTED.match(text):
                line = " ".join(text.split())
                found.append((script.revision, line[:60] + ("..." if len(line) > 60 else "")))
    return found


def data_migrations(history: list[Script]) -> list[Script]:
    """Revisions that change rows: backfill(), bulk_insert(), insert/update/delete, DML."""
    return [script for script in history if changes_rows(Path(script.path))]


def changes_rows(path: Path) -> bool:
    """Whether a revision file's upgrade() or downgrade() changes rows."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in DATA_CALLS or (name in STATEMENT_CALLS and is_statement(node)):
            return True
        if name in ("execute", "exec_driver_sql", "text"):
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if any(isinstance(t, str) and DML.match(t) for t in texts):
                return True
    return False


def is_statement(call: ast.Call) -> bool:
    """sa.update(t), update(t) or t.update(): SQLAlchemy building a DML statement."""
    if isinstance(call.func, ast.Name):
        return True
    receiver = getattr(call.func.value, "id", None)
    return receiver in ("sa", "sqlalchemy") or not call.args


def prove_baseline(
    config: Config, script: ScriptDirectory, draft: Path, full: Any, baseline: Any
) -> None:
    """Build a database from the draft alone; its schema must be the history's, and its
    downgrade must leave nothing."""
    alone = ScriptDirectory(
        script.dir,
        file_template=script.file_template,
        version_locations=[str(draft.parent)],
        output_encoding=script.output_encoding,
    )
    expected = on_connection(full, schema_lines)
    run_revisions(config, alone, baseline, "upgrade", "baseline")
    built = on_connection(baseline, schema_lines)
    if built != expected:
        difference = sorted(expected ^ built)[0]
        side = "only the history has" if difference in expected else "only the baseline has"
        raise CommandError(
            f"the baseline does not rebuild the history's schema ({side}: {difference}); "
            "no file was changed"
        )
    run_revisions(config, alone, baseline, "downgrade", "baseline")
    left = on_connection(baseline, schema_lines)
    if left:
        raise CommandError(
            f"the baseline's downgrade leaves {sorted(left)[0]} behind; no file was changed"
        )


def baseline_path(script: ScriptDirectory, head: Script, message: str) -> Path:
    """Where the baseline goes: head's folder, named as the project names new revisions."""
    folder = Path(head.path).parent
    try:
        return script._rev_path(folder, head.revision, message, datetime.datetime.now())
    except Exception:  # noqa: BLE001 - an older alembic: a plain name will do
        slug = "_".join(re.findall(r"\w+", message.lower()))[:40]
        return folder / f"{head.revision}_{slug}.py"


def run_write_hooks(script: ScriptDirectory, path: Path) -> None:
    """The project's post_write_hooks (ruff), as for any new revision; a failure is a note."""
    hooks = getattr(script, "hooks", None)
    if not hooks:
        return
    from alembic.script import write_hooks

    # ruff's fix step lists the long lines its format step then wraps: keep that quiet.
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            write_hooks._run_hooks(path, hooks)
    except Exception as error:  # noqa: BLE001 - the baseline is written and proven already
        failure = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    else:
        failure = None
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    if failure:
        print(f"note: post_write_hooks failed ({failure}); the baseline is written unformatted")


# --- rebase ------------------------------------------------------------------------------


def rebase(config: Config, revision: str, force: bool = False) -> None:
    """Move the branch whose head is REV on top of the other head (ids kept)."""
    script = ScriptDirectory.from_config(config)
    heads = revision_heads(script)
    moving = resolved(script, revision)
    if moving.revision not in heads:
        raise CommandError(
            f"{moving.revision} is not a head: rebase moves a branch by its head, one of "
            f"{', '.join(heads)}"
        )
    if len(heads) != 2:
        raise CommandError(
            f"rebase needs exactly two heads, and the history has {len(heads)} "
            f"({', '.join(heads)})"
            + (": there is nothing to rebase onto" if len(heads) == 1 else "")
        )
    onto = script.get_revision(next(head for head in heads if head != moving.revision))
    mine, theirs = ancestors(script, moving.revision), ancestors(script, onto.revision)
    moved = [script.get_revision(r) for r in sorted(mine - theirs)]
    roots = [s for s in moved if not set(down_revisions(s)) & (mine - theirs)]
    if len(roots) != 1 or len(down_revisions(roots[0])) > 1:
        raise CommandError(
            f"the branch of {moving.revision} does not start at one revision with one down "
            "revision: merge the heads instead (alembic merge heads)"
        )
    if not force:
        other = [script.get_revision(r) for r in theirs - mine]
        shared = sorted(tables_touched(moved) & tables_touched(other))
        if shared:
            raise CommandError(
                f"both branches touch table {shared[0]}: rebase with --force if the changes "
                "are independent, or merge the heads (alembic merge heads)"
            )
    rewrite_down_revision(Path(roots[0].path), onto.revision)
    print(
        f"moved {len(moved)} revision{'s' if len(moved) > 1 else ''} onto {onto.revision}: "
        f"{roots[0].revision} now "
        f"revises {onto.revision}; the head is {moving.revision}"
    )


def resolved(script: ScriptDirectory, revision: str) -> Script:
    """A revision by its id or a unique prefix; one line when there is no such revision."""
    try:
        found = script.get_revision(revision)
    except Exception as error:  # noqa: BLE001 - alembic's ResolutionError is no CommandError
        raise CommandError(f"{error}: give a head's id, as alembic heads shows") from None
    if found is None:
        raise CommandError(f"no revision {revision!r}: give a head's id, as alembic heads shows")
    return found


def down_revisions(script: Script) -> tuple[str, ...]:
    """A revision's down revisions as a tuple (alembic allows None, a string or a tuple)."""
    down = script.down_revision
    return () if down is None else (down,) if isinstance(down, str) else tuple(down)


def ancestors(script: ScriptDirectory, revision: str) -> set[str]:
    """A revision and every revision below it."""
    found, todo = set(), [revision]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(down_revisions(script.get_revision(current)))
    return found


def tables_touched(scripts: list[Script]) -> set[str]:
    """The tables revision files name: in op calls, sa.table(), and SQL text."""
    tables: set[str] = set()
    for script in scripts:
        tree = ast.parse(Path(script.path).read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                tables |= call_tables(node)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and " " in node.value.strip()
            ):
                tables |= {name.lower() for name in SQL_TABLE.findall(node.value)}
    return tables


def call_tables(call: ast.Call) -> set[str]:
    """The table names a call gives as string arguments."""
    name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
    receiver = getattr(getattr(call.func, "value", None), "id", None)
    if isinstance(call.func, ast.Attribute) and receiver not in TABLE_RECEIVERS:
        return set()  # batch_op.add_column("x"): the table is the batch's, "x" a column
    found = [
        call.args[position]
        for position in TABLE_ARGUMENTS.get(str(name), ())
        if position < len(call.args)
    ]
    if name in TABLE_ARGUMENTS:
        found += [kw.value for kw in call.keywords if kw.arg in TABLE_KEYWORDS]
    return {
        node.value.lower()
        for node in found
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def rewrite_down_revision(path: Path, new_down: str) -> None:
    """Set down_revision and the docstring's "Revises:" line, leaving the rest as it is."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    assignment = next(
        node
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and any(
            isinstance(t, ast.Name) and t.id == "down_revision"
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
    )
    value = assignment.value
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: value.lineno - 1]) + value.col_offset
    end = sum(len(line) for line in lines[: value.end_lineno - 1]) + value.end_col_offset
    # A value in parentheses of its own, ("abc"), goes with them.
    while text[:start].rstrip().endswith("(") and text[end:].lstrip().startswith(")"):
        start = len(text[:start].rstrip()) - 1
        end = len(text) - len(text[end:].lstrip()) + 1
    text = text[:start] + f'"{new_down}"' + text[end:]
    text = re.sub(r"^Revises:.*$", f"Revises: {new_down}", text, count=1, flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


# --- the command line --------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """squash and rebase, with alembic's -c, -n and -x."""
    main = argparse.ArgumentParser(
        prog="alembic_env_history.py", description=__doc__.splitlines()[0]
    )
    main.add_argument("-c", "--config", action="append", help="alembic.ini or pyproject.toml")
    main.add_argument("-n", "--name", default="alembic", help="the ini file's section")
    main.add_argument("-x", action="append", help="env.py's -x arguments, as for alembic")
    commands = main.add_subparsers(dest="command", required=True)
    squashing = commands.add_parser("squash", help=squash.__doc__)
    squashing.add_argument("-m", "--message", help="the baseline's message")
    rebasing = commands.add_parser("rebase", help=rebase.__doc__)
    rebasing.add_argument("revision", help="the head of the branch to move")
    rebasing.add_argument("--force", action="store_true", help="even if tables are shared")
    return main


def config_files(names: list[str] | None) -> tuple[str | None, str | None]:
    """alembic.ini and pyproject.toml as alembic finds them: -c, else the current folder."""
    if not names:
        ini = os.environ.get("ALEMBIC_CONFIG", "alembic.ini")
        return ini, "pyproject.toml"
    toml = next((n for n in names if Path(n).name == "pyproject.toml"), None)
    ini = next((n for n in names if Path(n).name != "pyproject.toml"), None)
    for name in names:
        if not Path(name).is_file():
            raise CommandError(f"no config file {name}")
    return ini, toml


def main(argv: list[str] | None = None) -> int:
    """Run squash or rebase; a mistake is one line on stderr and exit code 1."""
    options = parser().parse_args(argv)
    try:
        ini, toml = config_files(options.config)
        config = Config(file_=ini, toml_file=toml, ini_section=options.name, cmd_opts=options)
        if options.command == "squash":
            squash(config, options.message)
        else:
            rebase(config, options.revision, force=options.force)
    except CommandError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
