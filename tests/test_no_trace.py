"""The generated no-trace test ignores the names a database makes up, and nothing else.

`schema_lines()` of the generated tests/database.py is what test_downgrade_leaves_no_trace
compares before a revision's upgrade and after its downgrade. Each case here plays a
revision's upgrade and downgrade with alembic's operations on a real database, and compares
the two pictures as that test does.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine

from .databases import throwaway_database
from .projects import ROOT, add_example
from .test_generated_suite import output, pytest_in

DATABASE_PY = ROOT / "{{cookiecutter.project_slug}}" / "tests" / "database.py"


def load_database_module() -> ModuleType:
    """The generated tests/database.py, as the generated suite imports it."""
    spec = importlib.util.spec_from_file_location("generated_database", DATABASE_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


schema_lines = load_database_module().schema_lines


def create_schema(engine: Engine) -> None:
    """users and awards, with an unnamed foreign key and an unnamed unique constraint.

    On SQLite the foreign key has a name: batch mode, which a revision must use there,
    recreates no unnamed constraint.
    """
    key_name = "fk_awards_user_id" if engine.dialect.name == "sqlite" else None
    metadata = sa.MetaData()
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(40), unique=True),
        sa.Column("name", sa.String(40), index=True),
        sa.Column("score", sa.Numeric(10, 2)),
        sa.Column("created", sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")),
    )
    sa.Table(
        "awards",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name=key_name)),
    )
    metadata.create_all(engine)


@pytest.fixture
def engine(database_kind: str, tmp_path) -> Iterator[Engine]:
    with throwaway_database(database_kind, tmp_path) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        create_schema(engine)
        yield engine
        engine.dispose()


def play(engine: Engine, step: Callable[[Operations, sa.Inspector], None]) -> None:
    """Run one step of a revision (its upgrade or its downgrade) as alembic would."""
    with engine.begin() as connection:
        step(Operations(MigrationContext.configure(connection)), sa.inspect(connection))


def up_and_down(engine: Engine, upgrade, downgrade=lambda op, inspector: None) -> tuple:
    """The schema lines left behind and not restored by an upgrade and its downgrade."""
    before = schema_lines(engine)
    play(engine, upgrade)
    play(engine, downgrade)
    after = schema_lines(engine)
    return sorted(after - before), sorted(before - after)


def batch(op: Operations, table: str):
    """Alter a table the way that works on each database (SQLite copies it)."""
    return op.batch_alter_table(table)


def index_names(engine: Engine, table: str) -> set[str]:
    return {index["name"] for index in sa.inspect(engine).get_indexes(table)}


# --- names the database chose do not count -----------------------------------------------


def test_a_foreign_key_recreated_with_its_implicit_index_leaves_no_trace(engine):
    """As autogenerate writes it: the downgrade recreates the key under the name it had.

    On MySQL the key's implicit index was named after its column (user_id); recreated under
    the key's name (awards_ibfk_1), MySQL names the new implicit index after the key.
    """
    (key,) = sa.inspect(engine).get_foreign_keys("awards")
    implicit = index_names(engine, "awards")

    def upgrade(op, inspector):
        with batch(op, "awards") as table:
            table.drop_constraint(key["name"], type_="foreignkey")
        for index in inspector.get_indexes("awards"):  # MySQL's implicit one
            op.drop_index(index["name"], table_name="awards")

    def downgrade(op, inspector):
        with batch(op, "awards") as table:
            table.create_foreign_key(key["name"], "users", ["user_id"], ["id"])

    assert up_and_down(engine, upgrade, downgrade) == ([], [])
    if engine.dialect.name == "mysql":
        assert implicit == {"user_id"}
        assert index_names(engine, "awards") == {key["name"]}, "MySQL kept the index's name"


@pytest.mark.parametrize("database_kind", ["postgresql", "mysql"])
def test_an_unnamed_unique_constraint_renamed_by_the_database_leaves_no_trace(engine):
    """A second unnamed twin gets a numbered name (users_email_key1, email_2); the revision
    drops the first, so the one left has a name of the database's choosing."""
    (first,) = [u["name"] for u in sa.inspect(engine).get_unique_constraints("users")]

    def upgrade(op, inspector):
        op.create_unique_constraint(None, "users", ["email"])
        op.drop_constraint(first, "users", type_="unique")

    assert up_and_down(engine, upgrade) == ([], [])
    assert [u["name"] for u in sa.inspect(engine).get_unique_constraints("users")] != [first]


# --- real differences are still reported -------------------------------------------------


def test_an_index_not_restored_is_reported(engine):
    def upgrade(op, inspector):
        op.drop_index("ix_users_name", table_name="users")

    left_behind, not_restored = up_and_down(engine, upgrade)
    assert left_behind == []
    assert [line for line in not_restored if "ix_users_name" in line] == not_restored
    assert not_restored, "the dropped index went unnoticed"


def test_a_column_type_not_restored_is_reported(engine):
    """On MySQL the issue's case: DATETIME(6) comes back as DATETIME."""
    column = "created" if engine.dialect.name == "mysql" else "score"
    changed_type = {"created": sa.String(40), "score": sa.Numeric(12, 2)}[column]
    before_type = {"created": sa.DateTime(), "score": sa.Numeric(10)}[column]

    def upgrade(op, inspector):
        with batch(op, "users") as table:
            table.alter_column(column, type_=changed_type)

    def downgrade(op, inspector):
        with batch(op, "users") as table:
            table.alter_column(column, type_=before_type)

    left_behind, not_restored = up_and_down(engine, upgrade, downgrade)
    assert [line.split(" ")[:2] for line in left_behind] == [["column", f"users.{column}"]]
    assert [line.split(" ")[:2] for line in not_restored] == [["column", f"users.{column}"]]
    if column == "created":
        assert "DATETIME(fsp=6)" in not_restored[0], not_restored


@pytest.mark.parametrize("database_kind", ["postgresql", "mysql"])  # SQLite: batch names them
def test_an_unnamed_constraint_left_behind_is_reported(engine):
    def upgrade(op, inspector):
        op.create_unique_constraint(None, "users", ["name"])

    left_behind, not_restored = up_and_down(engine, upgrade)
    assert not_restored == []
    assert left_behind and all("['name']" in line for line in left_behind), left_behind
    assert any(line.startswith("unique users.* ['name']") for line in left_behind), left_behind


@pytest.mark.parametrize("database_kind", ["postgresql", "mysql"])
def test_a_second_unnamed_twin_left_behind_is_reported(engine):
    """Two unnamed constraints on the same columns are two lines, not one."""

    def upgrade(op, inspector):
        op.create_unique_constraint(None, "users", ["email"])

    left_behind, not_restored = up_and_down(engine, upgrade)
    assert not_restored == []
    assert any(line.startswith("unique users.* ['email']") for line in left_behind), left_behind


# --- in a generated project's own suite, on MySQL ------------------------------------------

RECREATED = "ffff00000002"


@pytest.mark.parametrize("kind", ["mysql"])
def test_the_generated_suite_passes_a_key_recreated_under_its_old_name(
    project_copy, tmp_path, kind
):
    """The issue's false positive: awards_ibfk_1's implicit index comes back renamed."""
    project = project_copy("mysql")
    add_example(project, "mysql-recreated-foreign-key")
    result = pytest_in(project, tmp_path, "-k", "leaves_no_trace", kind=kind, option_set="mysql")
    assert result.returncode == 0, output(result)
    assert f"test_downgrade_leaves_no_trace[{RECREATED}] PASSED" in output(result)


@pytest.mark.parametrize("kind", ["mysql"])
def test_the_generated_suite_reports_a_key_not_restored(project_copy, tmp_path, kind):
    project = project_copy("mysql")
    (_, revision) = add_example(project, "mysql-recreated-foreign-key")
    text = revision.read_text()
    restore = 'add_foreign_key("awards_ibfk_1", "awards", "users", ["user_id"], ["id"])'
    assert restore in text
    revision.write_text(text.replace(restore, "pass  # the key is not restored"))
    result = pytest_in(project, tmp_path, "-k", "leaves_no_trace", kind=kind, option_set="mysql")
    text = output(result)
    assert f"test_downgrade_leaves_no_trace[{RECREATED}] FAILED" in text, text
    assert f"the downgrade of {RECREATED} does not undo its upgrade" in text, text
    assert "foreign key awards.* ['user_id'] -> users['id'] []" in text, text
