"""database.schema_lines, read again only for the tables whose definition changed.

Reflecting every table costs a few queries per table, and the walk reads the schema twice
per revision: over a long history that would grow with the square of its length. Most
revisions change one table. So each table's lines are kept, keyed by its definition as
the database stores it, read for all tables in one query: on SQLite the CREATE statements
of sqlite_master, on PostgreSQL the catalogs' own rendering of each column, constraint
and index (with every enum and domain type, which columns' types name). A table whose
definition is unchanged gets its lines back without a query; MySQL reads everything.
"""

from __future__ import annotations

import re
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from . import database

# Every column, constraint and index of each table of the current schema, as text.
POSTGRESQL_TABLES = sa.text(
    "SELECT c.relname, concat_ws(' ', 'column', a.attname, format_type(a.atttypid, a.atttypmod),"
    " a.attnotnull::text, a.attcollation::text, a.attidentity::text, a.attgenerated::text,"
    " pg_get_expr(d.adbin, d.adrelid))"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
    " AND a.attnum > 0 AND NOT a.attisdropped"
    " UNION ALL"
    " SELECT c.relname, concat_ws(' ', 'constraint', n.conname, pg_get_constraintdef(n.oid))"
    " FROM pg_constraint n JOIN pg_class c ON c.oid = n.conrelid"
    " WHERE c.relnamespace = current_schema()::regnamespace"
    " UNION ALL"
    " SELECT c.relname, concat_ws(' ', 'index', pg_get_indexdef(i.indexrelid))"
    " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
    " WHERE c.relnamespace = current_schema()::regnamespace"
)
# Enum and domain types, which a column's reflected type spells out (an enum's labels).
POSTGRESQL_TYPES = sa.text(
    "SELECT concat_ws(' ', t.oid::regtype::text, format_type(t.typbasetype, t.typtypmod),"
    " t.typnotnull::text, t.typdefault,"
    " (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e"
    " WHERE e.enumtypid = t.oid),"
    " (SELECT string_agg(pg_get_constraintdef(n.oid), ';' ORDER BY n.conname)"
    " FROM pg_constraint n WHERE n.contypid = t.oid))"
    " FROM pg_type t WHERE t.typtype IN ('e', 'd')"
    " AND t.typnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)"
)
# attgenerated is in the catalogs from PostgreSQL 12.
POSTGRESQL_CATALOGS = (12,)
SQLITE_TABLES = sa.text(
    "SELECT tbl_name, type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master"
)
# A foreign key names the table it refers to; without columns, it means that table's key.
REFERENCES = re.compile(r"""REFERENCES\s+(?:"([^"]+)"|`([^`]+)`|\[([^\]]+)\]|(\w+))""", re.I)


class CachedSchema:
    """database.schema_lines, with each table's lines kept while its definition stays."""

    def __init__(self) -> None:
        self.tables: dict[tuple[str, str], set[str]] = {}

    def schema_lines(self, engine: Engine) -> set[str]:
        definitions = table_definitions(engine)
        if definitions is None:
            return database.schema_lines(engine)
        read_table = database.table_lines

        def table_lines(inspector: sa.Inspector, table: str) -> set[str]:
            if table not in definitions:
                return read_table(inspector, table)
            key = (table, definitions[table])
            if key not in self.tables:
                self.tables[key] = read_table(inspector, table)
            return self.tables[key]

        return database.schema_lines(engine, read_table=table_lines)


def table_definitions(engine: Engine) -> dict[str, str] | None:
    """Each table's definition as one text, or None where no single query gives it."""
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return None
    parts: dict[str, list[str]] = defaultdict(list)
    shared = ""
    with engine.connect() as connection:
        if dialect == "postgresql":
            if connection.dialect.server_version_info < POSTGRESQL_CATALOGS:
                return None
            shared = "\n".join(sorted(row[0] for row in connection.execute(POSTGRESQL_TYPES)))
        query = SQLITE_TABLES if dialect == "sqlite" else POSTGRESQL_TABLES
        for table, part in connection.execute(query):
            parts[table].append(part)
    own = {table: "\n".join(sorted(lines)) for table, lines in parts.items()}
    if dialect == "postgresql":
        return {table: f"{text}\n{shared}" for table, text in own.items()}
    # SQLite: a foreign key without columns is read through the table it refers to.
    return {
        table: "\n".join([text, *(own.get(name, "") for name in sorted(referred(text)))])
        for table, text in own.items()
    }


def referred(definition: str) -> set[str]:
    return {next(name for name in found if name) for found in REFERENCES.findall(definition)}
