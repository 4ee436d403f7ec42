"""Comparison by meaning: what autogenerate and `alembic check` report is a real change.

alembic compares server defaults as SQL text, so MariaDB's `0.00`, `1` and
`current_timestamp()` read as changes from a model's `0`, `sa.true()` and `sa.func.now()`,
and an Identity() key reads as a change on databases without identity columns (SQLite,
MariaDB), where the revision that "fixes" it cannot even run. It renders `sa.true()` as
the text of the database it ran on (`sa.text('1')` on SQLite), which PostgreSQL then
refuses. And it does not look at PostgreSQL enum labels at all. This module, beside
env.py, fixes those three things:

- compare_server_default(): alembic's hook of that name finds no change where a server
  default means the same value, and equivalent_defaults_dropped() (process_revision_directives)
  drops what is left of such "changes", and identity "changes" where identity cannot exist;
- render_portable(): render_item writes sa.true(), sa.false() and sa.func.now() as such;
- compare_enum_labels(): a new PostgreSQL enum label becomes add_enum_value() (ALTER TYPE
  ... ADD VALUE, no table rewrite); a removed or renamed one is refused in one line
  (a warning: the label stays).

And what autogenerate writes must run where it was made: dropped_enum_types() drops the
PostgreSQL types a downgrade's tables leave behind, index_drops_before_table_drops_removed()
keeps MySQL from refusing to drop a foreign key's index just before dropping its table,
and render_portable() writes PostgreSQL types nested in a with_variant() in full.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import comparators, renderers
from alembic.operations import ops

log = logging.getLogger("alembic.env")

# alembic's own comparators, named one by one (autogenerate_plugins, alembic 1.18+): a
# later alembic that adds one, or turns one on by default (1.19.0 did so with CHECK
# constraints by name, then took it back), cannot change what `check` reports unseen; one
# it renames fails loudly ("Did not locate plugins"). alembic before 1.18 ignores this.
ALEMBIC_COMPARATORS = [
    "alembic.autogenerate.schemas",
    "alembic.autogenerate.tables",
    "alembic.autogenerate.types",
    "alembic.autogenerate.constraints",
    "alembic.autogenerate.defaults",
    "alembic.autogenerate.comments",
]

# How databases spell "the time of the transaction": PostgreSQL now(), MariaDB
# current_timestamp(), SQLite CURRENT_TIMESTAMP; an optional precision, e.g. now(6).
NOW = re.compile(r"(?:now|current_timestamp|localtimestamp)(?:\s*\((\d*)\))?", re.IGNORECASE)
# A PostgreSQL cast at the end of a reflected default: 'draft'::character varying.
CAST = re.compile(r"::[a-z_][\w ]*(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?$", re.IGNORECASE)
BOOLEANS = {"true": Decimal(1), "false": Decimal(0)}


# --- server defaults ---------------------------------------------------------------------


def default_sql(default: Any, dialect: sa.engine.Dialect) -> str | None:
    """A server default as the SQL text it stands for: reflected text, or the model's."""
    if default is None or default is False:
        return None
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):  # server_default="draft": a string literal
        return "'" + arg.replace("'", "''") + "'"
    if isinstance(arg, sa.sql.elements.TextClause):
        return arg.text
    return str(arg.compile(dialect=dialect))


def meaning(sql: str | None, numeric: bool = False) -> Any:
    """What a default's SQL text means, so that spellings of one value compare equal.

    Numbers compare by value (0 = 0.00, and '0' too in a numeric or boolean column, where
    it means the number), booleans as 1 and 0 (true = 1), the current time by precision
    (now() = CURRENT_TIMESTAMP = current_timestamp()); outer parentheses and PostgreSQL
    casts do not count. Anything else is its text: '007' is not '7' in a string column.
    """
    if sql is None:
        return None
    text = sql.strip()
    while text.startswith("(") and text.endswith(")") and balanced(text[1:-1]):
        text = text[1:-1].strip()
    text = CAST.sub("", text).strip()
    quoted = len(text) >= 2 and text[0] == text[-1] == "'"
    value = text[1:-1].replace("''", "'") if quoted else text
    if not quoted and value.lower() in BOOLEANS:
        return BOOLEANS[value.lower()]
    now = NOW.fullmatch(value) if not quoted else None
    if now:
        return ("current time", now[1] or "")
    if quoted and not numeric:
        return ("text", value)
    try:
        return Decimal(value)
    except InvalidOperation:
        return ("text", value) if quoted else ("sql", value.lower())


def balanced(text: str) -> bool:
    """True when the parentheses of a text close in order (so outer ones can go)."""
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def is_identity(default: Any) -> bool:
    return isinstance(default, sa.Identity)


def is_default_change(operation: Any) -> bool:
    """An alter_column that changes the server default (among other things, maybe)."""
    return (
        isinstance(operation, ops.AlterColumnOp) and operation.modify_server_default is not False
    )


def server_defaults(settings: Any, dialect: sa.engine.Dialect | None = None) -> Any:
    """The compare_server_default option: by meaning where on, not at all where off.

    Where a database has identity columns (PostgreSQL) alembic cannot call a hook for a
    column that has one (alembic 1.20 reads the reflected Identity's missing .arg), so
    there it compares by itself (PostgreSQL evaluates both defaults, which is exact) and
    equivalent_defaults_dropped() does the rest; offline nothing is compared.
    """
    if not settings.flag("compare_server_default", default=True):
        return False
    if dialect is None or dialect.supports_identity_columns:
        return True
    return compare_server_default


def compare_server_default(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """alembic's compare_server_default hook: no change where both mean the same value.

    Comparing here, and not only in process_revision_directives, keeps every caller of
    autogenerate exact, pytest-alembic's test_model_definitions_match_ddl among them
    (its own directives hook sees the changes first). None leaves a real difference, or
    one this cannot read, to alembic's own comparison.
    """
    if inspected_default is None or getattr(metadata_default, "arg", None) is None:
        return None  # no default on one side; or Identity(), Computed(): alembic's own
    numeric = isinstance(metadata_column.type, sa.Numeric | sa.Integer | sa.Boolean | sa.Float)
    ours = default_sql(metadata_default, context.dialect)
    return False if meaning(inspected_default, numeric) == meaning(ours, numeric) else None


def same_default(operation: ops.AlterColumnOp, dialect: sa.engine.Dialect) -> bool:
    """Whether an alter_column's server default "change" changes nothing real."""
    old, new = operation.existing_server_default, operation.modify_server_default
    if is_identity(old) or is_identity(new):
        # Only where identity columns exist can they differ; elsewhere the key is
        # AUTO_INCREMENT or SQLite's rowid, and an ALTER to "add" identity cannot run.
        return not dialect.supports_identity_columns
    kind = operation.existing_type
    numeric = isinstance(kind, sa.Numeric | sa.Integer | sa.Boolean | sa.Float)
    return meaning(default_sql(old, dialect), numeric) == meaning(
        default_sql(new, dialect), numeric
    )


def without_same_defaults(operations: list[Any], dialect: sa.engine.Dialect) -> list[Any]:
    """The operations, less server default changes that are none (also in batch blocks)."""
    kept = []
    for operation in operations:
        if isinstance(operation, ops.ModifyTableOps):
            operation.ops = without_same_defaults(operation.ops, dialect)
            if not operation.ops:
                continue
        elif is_default_change(operation) and same_default(operation, dialect):
            operation.modify_server_default = False
            if not operation.has_changes():
                continue
        kept.append(operation)
    return kept


def equivalent_defaults_dropped(script: ops.MigrationScript, dialect: sa.engine.Dialect) -> None:
    """Drop server default "changes" of one revision that mean the same value."""
    for container in (script.upgrade_ops, script.downgrade_ops):
        container.ops = without_same_defaults(container.ops, dialect)


def render_portable(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """render_item: keep sa.true(), sa.false() and sa.func.now() as written in the model.

    alembic would write the SQL of the database autogenerate ran on (sa.text('1') on
    SQLite), which another database may refuse (PostgreSQL: boolean vs integer).
    """
    if type_ == "type":
        return render_nested_type(obj, autogen_context)
    if type_ != "server_default":
        return False
    arg = getattr(obj, "arg", None)
    if isinstance(arg, sa.sql.elements.True_):
        return "sa.true()"
    if isinstance(arg, sa.sql.elements.False_):
        return "sa.false()"
    if isinstance(arg, sa.sql.functions.FunctionElement) and not list(arg.clauses):
        return f"sa.func.{arg.name}()"
    return False


# PostgreSQL types that hold another type. alembic renders the inner one with its module
# only when autogenerate runs on PostgreSQL; elsewhere (a with_variant() made on SQLite)
# it writes JSONB(astext_type=Text()), a NameError in the revision.
NESTED_TYPES = {"JSON": "astext_type", "JSONB": "astext_type", "HSTORE": "text_type"}


def render_nested_type(kind: Any, autogen_context: Any) -> str | bool:
    """A PostgreSQL JSON, JSONB or HSTORE written in full on any database (else False)."""
    attribute = NESTED_TYPES.get(type(kind).__name__)
    inner = getattr(kind, attribute, None) if attribute else None
    is_postgresql_type = type(kind).__module__.startswith("sqlalchemy.dialects.postgresql")
    if inner is None or not is_postgresql_type or autogen_context.dialect.name == "postgresql":
        return False
    prefix = autogen_context.opts.get("sqlalchemy_module_prefix") or "sa."
    autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
    return "postgresql." + repr(kind).replace(repr(inner), prefix + repr(inner), 1)


# --- PostgreSQL enum labels --------------------------------------------------------------


class AddEnumValueOp(ops.MigrateOperation):
    """A new label of a PostgreSQL enum type, written as alembic_env_safe_ddl's call."""

    def __init__(self, type_name: str, value: str, before: str | None, schema: str | None):
        self.type_name, self.value, self.before, self.schema = type_name, value, before, schema

    def reverse(self) -> ops.MigrateOperation:
        return KeepEnumValueOp(self.type_name, self.value)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_enum_value", self.schema, self.type_name, self.value)


class KeepEnumValueOp(ops.MigrateOperation):
    """The downgrade of a new enum label: PostgreSQL cannot drop one, so it stays."""

    def __init__(self, type_name: str, value: str):
        self.type_name, self.value = type_name, value

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("keep_enum_value", self.type_name, self.value)


class DropEnumTypeOp(ops.MigrateOperation):
    """A downgrade's drop of a PostgreSQL enum type, written as alembic_env_safe_ddl's call
    (which does nothing on other databases)."""

    def __init__(self, type_name: str, schema: str | None):
        self.type_name, self.schema = type_name, schema

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("drop_enum_type", self.schema, self.type_name)


@renderers.dispatch_for(DropEnumTypeOp)
def render_drop_enum_type(autogen_context: Any, operation: DropEnumTypeOp) -> str:
    autogen_context.imports.add("from alembic_env_safe_ddl import drop_enum_type")
    schema = f", schema={operation.schema!r}" if operation.schema is not None else ""
    return f"drop_enum_type({operation.type_name!r}{schema})"


@renderers.dispatch_for(AddEnumValueOp)
def render_add_enum_value(autogen_context: Any, operation: AddEnumValueOp) -> str:
    autogen_context.imports.add("from alembic_env_safe_ddl import add_enum_value")
    arguments = [repr(operation.type_name), repr(operation.value)]
    if operation.before is not None:
        arguments.append(f"before={operation.before!r}")
    if operation.schema is not None:
        arguments.append(f"schema={operation.schema!r}")
    return f"add_enum_value({', '.join(arguments)})"


@renderers.dispatch_for(KeepEnumValueOp)
def render_keep_enum_value(autogen_context: Any, operation: KeepEnumValueOp) -> str:
    return (
        f"# {operation.type_name}: PostgreSQL cannot remove the label {operation.value!r}; "
        "it stays, unused"
    )


def model_enums(metadata: Any, schema: str | None) -> dict[str, list[str]]:
    """Named native enum types of the models in one schema, with their labels in order."""
    found: dict[str, list[str]] = {}
    for single in metadata if isinstance(metadata, list | tuple) else [metadata]:
        for table in single.tables.values():
            for column in table.columns:
                kind = column.type
                named = isinstance(kind, sa.Enum) and kind.native_enum and kind.name
                if named and (kind.schema or table.schema) == schema:
                    found[kind.name] = list(kind.enums)
    return found


def compare_enum_labels(autogen_context: Any, upgrade_ops: ops.UpgradeOps, schemas: Any) -> None:
    """Schema comparator: a PostgreSQL enum's new labels are added; removed ones stay."""
    connection = autogen_context.connection
    if connection is None or connection.dialect.name != "postgresql":
        return
    inspector = sa.inspect(connection)
    added: list[AddEnumValueOp] = []
    for schema in schemas:
        wanted = model_enums(autogen_context.metadata, schema)
        existing = {e["name"]: e["labels"] for e in inspector.get_enums(schema=schema)}
        for name, labels in wanted.items():
            if name not in existing:
                continue  # created with its first table
            gone = [label for label in existing[name] if label not in labels]
            if gone:
                # Refused, not done: dropping a label rewrites every table of the type.
                log.warning(
                    "enum type %s keeps %s, which the models no longer list: PostgreSQL can "
                    "only drop a label by rewriting every table that uses the type under an "
                    "exclusive lock; stop writing it, or move to a new type with a new column "
                    "(expand, backfill, contract)",
                    name,
                    ", ".join(map(repr, gone)),
                )
            for position, label in enumerate(labels):
                if label not in existing[name]:
                    later = [lab for lab in labels[position + 1 :] if lab in existing[name]]
                    before = later[0] if later else None
                    added.append(AddEnumValueOp(name, label, before, schema))
    # First, before any table change of the revision that may use the new labels.
    upgrade_ops.ops[:0] = added


def dropped_enum_types(script: ops.MigrationScript, migration_context: Any) -> None:
    """On PostgreSQL, drop the enum types a revision's tables create, after its last table.

    op.create_table() creates a native enum type with its first table, but op.drop_table()
    leaves it behind, and the next upgrade then fails on "type already exists". A type that
    already exists (an earlier revision made it) or is declared create_type=False is not
    this revision's to drop.
    """
    dialect, connection = migration_context.dialect, migration_context.connection
    if dialect.name != "postgresql":
        return
    created: dict[str, str | None] = {}
    for operation in script.upgrade_ops.ops:
        if isinstance(operation, ops.CreateTableOp):
            for column in operation.columns:
                kind = getattr(column, "type", None)
                named = isinstance(kind, sa.Enum) and kind.native_enum and kind.name
                if named and getattr(kind, "create_type", True):
                    created[kind.name] = kind.schema or operation.schema
    if created and connection is not None and not migration_context.as_sql:
        inspector = sa.inspect(connection)
        for schema in set(created.values()):
            for existing in inspector.get_enums(schema=schema):
                if created.get(existing["name"], "no") == schema:
                    del created[existing["name"]]
    for name, schema in created.items():
        script.downgrade_ops.ops.append(DropEnumTypeOp(name, schema))


def index_drops_before_table_drops_removed(script: ops.MigrationScript) -> None:
    """Leave out DROP INDEX on tables the same step then drops.

    alembic writes drop_index() before drop_table(); MySQL refuses to drop an index that
    a foreign key uses (error 1553), although dropping the table takes both. Left out on
    every database, so that a revision made on SQLite also downgrades on MySQL.
    """
    for container in (script.upgrade_ops, script.downgrade_ops):
        dropped = {
            (operation.schema, operation.table_name)
            for operation in container.ops
            if isinstance(operation, ops.DropTableOp)
        }
        container.ops = without_index_drops(container.ops, dropped)


def without_index_drops(operations: list[Any], tables: set[tuple[Any, str]]) -> list[Any]:
    """The operations less DROP INDEX on those tables (also inside per-table groups)."""
    kept = []
    for operation in operations:
        if isinstance(operation, ops.ModifyTableOps):
            operation.ops = without_index_drops(operation.ops, tables)
            if not operation.ops:
                continue
        elif (
            isinstance(operation, ops.DropIndexOp)
            and (operation.schema, operation.table_name) in tables
        ):
            continue
        kept.append(operation)
    return kept


def register_comparators() -> None:
    """Add the enum comparator to alembic's, once per process (env.py may run many times)."""
    if getattr(register_comparators, "done", False):
        return
    comparators.dispatch_for("schema")(compare_enum_labels)
    register_comparators.done = True  # type: ignore[attr-defined]
