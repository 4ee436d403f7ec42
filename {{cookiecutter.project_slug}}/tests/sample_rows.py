"""Rows for every table, made up from the schema as the database reflects it.

test_rows_survive.py seeds them before each revision. They respect each column's type,
NOT NULL, primary and unique keys (values already in the table are avoided), foreign keys
(parents are seeded first and children point at rows that exist), enums, and simple CHECK
constraints (`status IN ('a', 'b')`, `price >= 0`); a row the database still refuses is
tried again with other values, a few times, then left out.

Columns other than keys also take the literals the revision names (its strings, numbers
and booleans), so that a statement filtering on `default_game = 'csgo'` meets rows where
a user chose 'csgo' too. Each literal lands in one row per column, once with every boolean
true and once with every boolean false; keys stay made up.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# alembic's version table and alembic_env_backfill.py's resume points: not the project's.
BOOKKEEPING_TABLES = {
    "alembic_version",
    "alembic_backfill_progress",
    "alembic_revision_checksums",
}
ATTEMPTS = 6  # per row, before it is left out
MAX_LITERALS = 12  # per column: rows per table stay in the tens
MISSING = object()  # a value we cannot make: the column is left to its default
QUOTED = re.compile(r"'((?:[^']|'')*)'")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
START = dt.datetime(2024, 1, 1, 12, 0, 0)


def data_tables(engine: Engine) -> list[sa.Table]:
    """The project's tables, reflected now, parents before the tables that refer to them."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    return [table for table in metadata.sorted_tables if not bookkeeping(table)]


def bookkeeping(table: sa.Table) -> bool:
    """alembic's own tables, also under another version_table name; SQLite's internal ones."""
    return (
        table.name in BOOKKEEPING_TABLES
        or table.name.startswith("sqlite_")
        or [column.name for column in table.columns] == ["version_num"]
    )


def python_type(column: sa.Column) -> type | None:
    """The Python type of a column's values, or None when SQLAlchemy cannot say."""
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def flag_like(column: sa.Column) -> bool:
    """A boolean, or MySQL's TINYINT(1) that a Boolean becomes."""
    return python_type(column) is bool or getattr(column.type, "display_width", None) == 1


def check_texts(table: sa.Table, column: sa.Column) -> list[str]:
    """The CHECK constraints that name this column and no other."""
    texts = []
    for constraint in table.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            text = str(constraint.sqltext)
            named = [c.name for c in table.columns if re.search(rf"\b{re.escape(c.name)}\b", text)]
            if named == [column.name]:
                texts.append(text)
    return texts


def fits(column: sa.Column, value: Any) -> Any:
    """The literal as a value of the column, or MISSING when it does not fit its type."""
    kind = python_type(column)
    if isinstance(value, bool) or flag_like(column):
        return value if isinstance(value, bool) and flag_like(column) else MISSING
    if isinstance(column.type, sa.Enum):
        return value if value in column.type.enums else MISSING
    if kind is str and isinstance(value, str):
        length = getattr(column.type, "length", None)
        return value if length is None or len(value) <= length else MISSING
    if kind in (int, float, Decimal) and isinstance(value, (int, float)):
        if kind is int and not float(value).is_integer():
            return MISSING
        return number(kind, column.type, value)
    if kind in (dt.date, dt.datetime) and isinstance(value, str):
        try:
            return kind.fromisoformat(value)
        except ValueError:
            return MISSING
    return MISSING


class Column:
    """How to fill one column: its literals first, then made-up values."""

    def __init__(self, table: sa.Table, column: sa.Column, literals: list[Any]) -> None:
        self.column = column
        self.key = column.primary_key or bool(column.foreign_keys)
        checks = check_texts(table, column)
        self.json_text = any("json_valid" in text.lower() for text in checks)
        self.check_strings = [s.replace("''", "'") for t in checks for s in QUOTED.findall(t)]
        self.check_numbers = [float(n) for t in checks for n in NUMBER.findall(QUOTED.sub("", t))]
        fitting = [fits(column, value) for value in ([] if self.key else literals)]
        self.literals = list(dict.fromkeys(v for v in fitting if v is not MISSING))
        self.literals = self.literals[:MAX_LITERALS]
        if flag_like(column):
            self.literals = list(dict.fromkeys([*self.literals, True, False]))

    def value(self, row: int, rows: int, attempt: int, n: int) -> Any:
        """The value of row `row` of `rows` on this attempt; n is a fresh counter."""
        half = (rows - 1) // 2
        if flag_like(self.column):
            flag = self.literals[0 if row < half else 1] if attempt == 0 else bool(n % 2)
            return flag if python_type(self.column) is bool else int(flag)
        if row == rows - 1:
            return None if self.column.nullable and not self.key else self.made_up(n, attempt)
        if attempt == 0 and row % half < len(self.literals):
            return self.literals[row % half]
        return self.made_up(n, attempt)

    def made_up(self, n: int, attempt: int) -> Any:
        """A value of the column's type, different for each n."""
        kind, column_type = python_type(self.column), self.column.type
        if isinstance(column_type, sa.Enum) and column_type.enums:
            return column_type.enums[n % len(column_type.enums)]
        if kind is str and self.check_strings:
            return self.check_strings[n % len(self.check_strings)]
        if kind in (int, float, Decimal) and self.check_numbers and attempt % 2:
            bound = self.check_numbers[n % len(self.check_numbers)]
            return number(kind, column_type, bound + (n % 3) - 1)
        return made_up(kind, column_type, n, self.json_text)


def number(kind: type, column_type: Any, value: float) -> Any:
    """A number of the column's kind."""
    if kind is int:
        return int(value)
    if kind is Decimal:
        scale = getattr(column_type, "scale", None) or 0
        return Decimal(value).quantize(Decimal(1).scaleb(-scale))
    return float(value)


def made_up(kind: type | None, column_type: Any, n: int, json_text: bool) -> Any:
    """A value of a Python type, different for each n; MISSING for a type we cannot make."""
    if kind is str:
        text = json.dumps({"n": n}) if json_text else f"v{base36(n)}"
        length = getattr(column_type, "length", None)
        return text[-length:] if length and not json_text else text
    if kind is int:
        return n % small_int_limit(column_type) if small_int_limit(column_type) else n
    if kind in (float, Decimal):
        precision = getattr(column_type, "precision", None)
        scale = getattr(column_type, "scale", None) or 0
        digits = min(4, precision - scale) if precision else 4
        return number(kind, column_type, n % 10 ** max(0, digits) + 0.25)
    made = {
        dt.datetime: lambda: START + dt.timedelta(hours=n),
        dt.date: lambda: START.date() + dt.timedelta(days=n),
        dt.time: lambda: dt.time(n % 24, n % 60, n % 59),
        dt.timedelta: lambda: dt.timedelta(minutes=n),
        bytes: lambda: f"b{n}".encode(),
        uuid.UUID: lambda: uuid.UUID(int=n),
        dict: lambda: {"n": n},
        list: lambda: [],
    }.get(kind)  # type: ignore[arg-type]
    if made is None:
        return MISSING
    value = made()
    if kind is dt.datetime and getattr(column_type, "timezone", False):
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def small_int_limit(column_type: Any) -> int | None:
    """The largest value a small integer type holds; None for INTEGER and BIGINT."""
    if "TINYINT" in type(column_type).__name__.upper():
        return 127
    return 32_767 if isinstance(column_type, sa.SmallInteger) else None


def base36(n: int) -> str:
    """n in as few characters as it takes."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        n, digit = divmod(n, 36)
        text = digits[digit] + text
        if not n:
            return text


def filled_by_database(table: sa.Table, column: sa.Column, dialect: str) -> bool:
    """Columns the database fills: computed, identity, auto-increment keys."""
    if column.computed is not None or column.identity is not None:
        return True
    keys = list(table.primary_key.columns)
    if keys != [column] or python_type(column) is not int:
        return False
    if dialect == "sqlite":  # INTEGER PRIMARY KEY is the rowid
        return type(column.type).__name__ == "INTEGER"
    default = str(column.server_default.arg) if column.server_default is not None else ""
    return column.autoincrement is True or "nextval" in default


class RowMaker:
    """Seeds every table with rows; made-up values never repeat within one walk."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.counter = 0
        self.made: dict[str, list[dict[str, Any]]] = {}  # rows seeded so far, by table

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    def seed(self, literals: list[Any]) -> dict[str, int]:
        """Insert rows into every table, parents first; return how many went into each."""
        tables = data_tables(self.engine)
        names = {table.name for table in tables}
        names |= {column.name for table in tables for column in table.columns}
        wanted = [value for value in literals if value not in names]
        return {table.name: self.seed_table(table, wanted) for table in tables}

    def seed_table(self, table: sa.Table, literals: list[Any]) -> int:
        dialect = self.engine.dialect.name
        columns = [
            Column(table, column, literals)
            for column in table.columns
            if not filled_by_database(table, column, dialect)
        ]
        uniques = {names: self.existing(table, names) for names in unique_sets(table)}
        parents = {fk: self.parent_keys(fk) for fk in foreign(table)}
        rows = 2 * max([1, *(len(c.literals) for c in columns if not flag_like(c.column))]) + 1
        inserted = 0
        for row in range(rows):
            for attempt in range(ATTEMPTS):
                values = {
                    c.column.name: c.value(row, rows, attempt, self.fresh()) for c in columns
                }
                values = {name: v for name, v in values.items() if v is not MISSING}
                if not point_at_parents(values, parents, row + attempt):
                    return inserted  # a required parent has no rows: nothing to point at
                if clashes(values, uniques) or not self.insert(table, values, parents):
                    continue
                remember(values, uniques)
                inserted += 1
                break
        return inserted

    def existing(self, table: sa.Table, names: tuple[str, ...]) -> set[tuple]:
        """The values a set of columns already holds, without NULLs."""
        with self.engine.connect() as connection:
            query = sa.select(*(table.c[name] for name in names))
            found = {tuple(row) for row in connection.execute(query)}
        return {key for key in found if None not in key}

    def parent_keys(self, fk: sa.ForeignKeyConstraint) -> list[tuple]:
        """The keys a foreign key can point at: the ones seeded last first."""
        names, parent = referred(fk), fk.referred_table
        existing = self.existing(parent, names)
        made = (tuple(row.get(name) for name in names) for row in self.made.get(parent.name, []))
        ours = [key for key in made if key in existing]
        return list(dict.fromkeys([*reversed(ours), *existing]))

    def insert(self, table: sa.Table, values: dict[str, Any], parents: dict) -> bool:
        """Insert one row in a transaction of its own; False when the database refuses it."""
        try:
            with self.engine.begin() as connection:
                result = connection.execute(table.insert().values(values))
                keys = result.inserted_primary_key or ()
        except sa.exc.StatementError:
            return False
        values.update(
            {
                c.name: v
                for c, v in zip(table.primary_key.columns, keys, strict=False)
                if v is not None
            }
        )
        self.made.setdefault(table.name, []).append(values)
        for fk in parents:  # a table that refers to itself can point at this row next
            if fk.referred_table is table and all(name in values for name in referred(fk)):
                parents[fk].insert(0, tuple(values[name] for name in referred(fk)))
        return True


def unique_sets(table: sa.Table) -> Iterator[tuple[str, ...]]:
    """The column sets no two rows may share: primary key, unique constraints and indexes."""
    if table.primary_key.columns:
        yield tuple(column.name for column in table.primary_key.columns)
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and constraint.columns:
            yield tuple(column.name for column in constraint.columns)
    for index in table.indexes:
        columns = [c for c in index.expressions if isinstance(c, sa.Column)]
        if index.unique and columns and len(columns) == len(index.expressions):
            yield tuple(column.name for column in columns)


def foreign(table: sa.Table) -> list[sa.ForeignKeyConstraint]:
    return [fk for fk in table.foreign_key_constraints if fk.referred_table is not None]


def referred(fk: sa.ForeignKeyConstraint) -> tuple[str, ...]:
    return tuple(element.column.name for element in fk.elements)


def point_at_parents(values: dict[str, Any], parents: dict, pick: int) -> bool:
    """Set each foreign key to a parent row; False when a required one has none.

    The parent seeded last is left without children while there are others, as a new row
    would be: a revision that gives each user without preferences some meets one.
    """
    for fk, keys in parents.items():
        local = [column.name for column in fk.columns]
        if keys:
            older = keys[1:] or keys
            values.update(zip(local, older[pick % len(older)], strict=True))
        elif all(column.nullable for column in fk.columns):
            values.update(dict.fromkeys(local))
        else:
            return False
    return True


def clashes(values: dict[str, Any], uniques: dict[tuple[str, ...], set[tuple]]) -> bool:
    """True when the row repeats the values of a unique column set already taken."""
    for names, taken in uniques.items():
        key = tuple(values.get(name) for name in names)
        if None not in key and key in taken:
            return True
    return False


def remember(values: dict[str, Any], uniques: dict[tuple[str, ...], set[tuple]]) -> None:
    for names, taken in uniques.items():
        taken.add(tuple(values.get(name) for name in names))
