"""Shapes of upgrade() around a backfill, for alembic_env_backfill's check (never run).

tests/test_backfill.py imports this and asks change_before_backfill() about each function:
a change before the backfill (an op.* call, or changing SQL run through op.get_bind(),
also under another name for backfill) is found; reads, safe steps and changes after the
backfill are not.
"""

import sqlalchemy as sa
from alembic import op
from alembic_env_backfill import backfill
from alembic_env_backfill import backfill as count_items
from alembic_env_safe_ddl import create_index

items = sa.table("items", sa.column("id", sa.Integer), sa.column("counter", sa.Integer))


def column_then_backfill() -> None:
    op.add_column("items", sa.Column("note", sa.String(20)))
    backfill(items, values={"counter": items.c.counter + 1})


def sql_then_backfill() -> None:
    op.get_bind().execute(sa.text("ALTER TABLE items ADD COLUMN note VARCHAR(20)"))
    backfill(items, values={"counter": items.c.counter + 1})


def table_then_backfill_by_another_name() -> None:
    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True))
    count_items(items, values={"counter": items.c.counter + 1})


def read_then_backfill() -> None:
    op.get_bind().execute(sa.text("SELECT count(*) FROM items")).scalar()
    backfill(items, values={"counter": items.c.counter + 1})


def safe_index_then_backfill() -> None:
    create_index("ix_items_counter", "items", ["counter"])
    backfill(items, values={"counter": items.c.counter + 1})


def backfill_then_column() -> None:
    backfill(items, values={"counter": items.c.counter + 1})
    op.add_column("items", sa.Column("note", sa.String(20)))


def change_between_backfills() -> None:
    backfill(items, values={"counter": items.c.counter + 1})
    op.execute("UPDATE items SET counter = counter + 1")
    backfill(items, values={"counter": items.c.counter + 1})


def change_in_a_loop_of_backfills() -> None:
    for _ in range(2):
        backfill(items, values={"counter": items.c.counter + 1})
        op.execute("UPDATE items SET counter = counter + 1")
