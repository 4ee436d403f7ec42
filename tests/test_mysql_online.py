"""MySQL and MariaDB online DDL: each ALTER asks to run online, or the server refuses it.

alembic_env_mysql_online.py appends ALGORITHM=INSTANT or ALGORITHM=INPLACE, LOCK=NONE to
the statements alembic writes while env.py migrates (mysql_online_ddl=True), in --sql
output and on the server alike; a revision allows a copy with `with allow_table_copy(...)`.
A baked MySQL project's own tests/test_mysql_online.py flags table-copying steps.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.util import CommandError

from .databases import throwaway_database
from .projects import MIGRATIONS, add_example, alembic
from .test_generated_suite import INITIAL, PREFERENCES, output, pytest_in

sys.path.insert(0, str(MIGRATIONS))
import alembic_env_mysql_online as online

OFFLINE_MYSQL = sa.make_url("mysql+pymysql://lint@localhost/offline")
ADD_NICKNAME = "ALTER TABLE users ADD COLUMN nickname VARCHAR(20), ALGORITHM=INSTANT"
TYPE_CHANGE, PRIMARY_KEY, COPY_ALLOWED = "ffff00000001", "ffff00000003", "ffff00000002"
PLAIN_FOREIGN_KEY = "ffff00000004"


def offline_sql(dialect: str, steps, **opts) -> str:
    """The SQL alembic's op writes for `steps` in --sql mode, with these context options."""
    online.register_online_ddl()
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buffer, **opts}
    )
    with Operations.context(context):
        steps()
    return buffer.getvalue()


def add_nickname_and_index() -> None:
    from alembic import op

    op.add_column("users", sa.Column("nickname", sa.String(20)))
    op.create_index("ix_users_nickname", "users", ["nickname"])
    op.alter_column("users", "nickname", nullable=False, existing_type=sa.String(20))
    op.drop_column("users", "name")


# --- the clauses, without a server ---------------------------------------------------------


def test_each_alter_asks_for_its_online_algorithm_in_sql_output() -> None:
    sql = offline_sql("mysql", add_nickname_and_index, mysql_online_ddl=True)
    assert "ADD COLUMN nickname VARCHAR(20), ALGORITHM=INSTANT;" in sql
    assert "CREATE INDEX ix_users_nickname ON users (nickname) ALGORITHM=INPLACE LOCK=NONE;" in sql
    assert "MODIFY nickname VARCHAR(20) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;" in sql
    assert "DROP COLUMN name, ALGORITHM=INPLACE, LOCK=NONE;" in sql


@pytest.mark.parametrize(
    ("dialect", "opts"),
    [
        ("mysql", {}),
        ("sqlite", {"mysql_online_ddl": True}),
        ("postgresql", {"mysql_online_ddl": True}),
    ],
    ids=["mysql-without-the-option", "sqlite", "postgresql"],
)
def test_other_databases_and_other_migrations_are_unaffected(dialect: str, opts: dict) -> None:
    sql = offline_sql(dialect, add_nickname_and_index, **opts)
    assert "ADD COLUMN nickname" in sql
    assert "ALGORITHM" not in sql and "LOCK=" not in sql


def test_allow_table_copy_leaves_its_steps_without_the_clause() -> None:
    from alembic import op

    def steps() -> None:
        with online.allow_table_copy("a 40-row table"):
            op.alter_column("t", "c", type_=sa.Text(), existing_type=sa.String(20))
        op.add_column("t", sa.Column("d", sa.Integer()))

    sql = offline_sql("mysql", steps, mysql_online_ddl=True)
    assert "MODIFY c TEXT NULL;" in sql
    assert "ADD COLUMN d INTEGER, ALGORITHM=INSTANT;" in sql


@pytest.mark.parametrize(
    ("statement", "recipe"),
    [
        ("ALTER TABLE t MODIFY c BIGINT NULL", "add a new column, backfill it"),
        ("ALTER TABLE t CHANGE c d BIGINT NULL", "add a new column, backfill it"),
        ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY(c) REFERENCES p (id)", "add_foreign_key()"),
        ("ALTER TABLE t ADD CONSTRAINT ck CHECK (checked > 0)", "check the value in the app"),
        ("ALTER TABLE t DROP PRIMARY KEY", "create a new table"),
        ("CREATE FULLTEXT INDEX ft ON t (checked)", "gh-ost"),
    ],
)
def test_a_refused_statement_gets_its_safe_recipe(statement: str, recipe: str) -> None:
    assert recipe in online.way_out(f"{statement}{online.IN_PLACE}")


def test_allow_table_copy_needs_a_reason() -> None:
    with (
        pytest.raises(CommandError, match=r'allow_table_copy\("why"\)'),
        online.allow_table_copy(" "),
    ):
        pass


class Dialect:
    """What column_clause reads of a dialect: the server's version and kind."""

    def __init__(self, version: tuple | None, is_mariadb: bool) -> None:
        self.server_version_info, self.is_mariadb = version, is_mariadb


@pytest.mark.parametrize(
    ("version", "mariadb", "since", "clause"),
    [
        ((10, 2, 44), True, online.INSTANT_ADD_COLUMN, online.IN_PLACE),
        ((10, 3, 0), True, online.INSTANT_ADD_COLUMN, online.INSTANT),
        ((5, 7, 44), False, online.INSTANT_ADD_COLUMN, online.IN_PLACE),
        ((8, 0, 11), False, online.INSTANT_ADD_COLUMN, online.IN_PLACE),
        ((8, 0, 12), False, online.INSTANT_ADD_COLUMN, online.INSTANT),
        (None, False, online.INSTANT_ADD_COLUMN, online.INSTANT),  # --sql: a current server
    ],
)
def test_instant_only_where_the_server_has_it(version, mariadb, since, clause) -> None:
    assert online.column_clause(Dialect(version, mariadb), since) == clause


# --- the generated project's lint ----------------------------------------------------------


def lint(project: Path, tmp_path: Path):
    return pytest_in(project, tmp_path, "-k", "test_mysql_online")


@pytest.mark.slow
def test_the_lint_passes_the_shipped_revisions_and_a_plain_add_column(project_copy, tmp_path):
    project = project_copy("mysql")
    add_example(project, "nickname-column")
    result = lint(project, tmp_path)
    text = output(result)
    assert result.returncode == 0, text
    for revision in (INITIAL, PREFERENCES, "aaaa00000001"):
        assert f"test_mysql_online[{revision}] PASSED" in text, text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("example", "revision", "expected"),
    [
        (
            "unsafe-type-change",
            TYPE_CHANGE,
            ["line 20: changes a column's type", "expand/contract"],
        ),
        (
            "primary-key-change",
            PRIMARY_KEY,
            ["line 19: changes the primary key", "line 20: changes the primary key", "gh-ost"],
        ),
        (
            "plain-foreign-key",
            PLAIN_FOREIGN_KEY,
            ["adds a foreign key", "alembic_env_safe_ddl.add_foreign_key(name, table"],
        ),
        (
            "check-constraint-copying",
            "ffff00000006",
            ["line 18: adds a CHECK constraint", "check the value in the application"],
        ),
    ],
)
def test_the_lint_flags_a_table_copy_with_its_recipe(
    project_copy, tmp_path, example, revision, expected
):
    project = project_copy("mysql")
    add_example(project, example)
    result = lint(project, tmp_path)
    text = output(result)
    assert result.returncode == 1, text
    assert f"test_mysql_online[{revision}] FAILED" in text, text
    for phrase in [*expected, 'with allow_table_copy("why the copy is fine here")']:
        assert phrase in text, text


@pytest.mark.slow
def test_the_lint_lets_an_allowed_copy_pass(project_copy, tmp_path):
    project = project_copy("mysql")
    add_example(project, "table-copy-allowed")
    result = lint(project, tmp_path)
    assert f"test_mysql_online[{COPY_ALLOWED}] PASSED" in output(result), output(result)


def test_only_mysql_projects_get_the_lint(bake):
    assert not (bake("default") / "tests" / "test_mysql_online.py").exists()


# --- through alembic, on the baked MySQL project ---------------------------------------------


@pytest.mark.slow
def test_upgrade_sql_of_a_baked_project_carries_the_clause(project_copy):
    project = project_copy("mysql")
    add_example(project, "nickname-column")
    result = alembic(project, "upgrade", f"{PREFERENCES}:head", "--sql", url=OFFLINE_MYSQL)
    assert f"{ADD_NICKNAME};" in result.stdout, result.stdout


@pytest.mark.parametrize("kind", ["mysql"])
def test_executed_statements_carry_the_clause(project_copy, kind, tmp_path):
    project = project_copy("mysql")
    add_example(project, "nickname-column")
    with throwaway_database(kind, tmp_path) as url:
        result = alembic(project, "-x", "verbose=true", "upgrade", "head", url=url)
        assert ADD_NICKNAME in output(result), output(result)
        columns = sa.inspect(sa.create_engine(url, poolclass=sa.pool.NullPool)).get_columns(
            "users"
        )
        assert "nickname" in [column["name"] for column in columns]


@pytest.mark.parametrize("kind", ["mysql"])
@pytest.mark.parametrize(
    ("example", "revision", "reason", "way_out"),
    [
        ("unsafe-type-change", TYPE_CHANGE, "Cannot change column type", "add a new column"),
        (
            "plain-foreign-key",
            PLAIN_FOREIGN_KEY,
            "Adding foreign keys needs foreign_key_checks=OFF",
            "alembic_env_safe_ddl.add_foreign_key()",
        ),
        (
            "check-constraint-copying",
            "ffff00000006",
            "ALGORITHM=INPLACE is not supported for this operation",
            "check the value in the application",
        ),
    ],
)
def test_a_copying_change_is_refused_in_one_line(
    project_copy, kind, tmp_path, example, revision, reason, way_out
):
    project = project_copy("mysql")
    add_example(project, example)
    with throwaway_database(kind, tmp_path) as url:
        result = alembic(project, "upgrade", "head", url=url, check=False)
    text = output(result)
    assert result.returncode != 0, text
    assert "Traceback" not in text, text
    (line,) = [line for line in text.splitlines() if line.startswith("FAILED:")]
    assert line.startswith(f"FAILED: revision {revision} (20251201_0000_{revision}_"), line
    assert re.search(r"\.py line \d+\): ", line), line  # the step's line in upgrade()
    assert "would block writes to the table" in line and reason in line, line
    assert way_out in line and 'with allow_table_copy("why it is fine")' in line, line
    assert f"the database is at revision {PREFERENCES}" in line, line


@pytest.mark.parametrize("kind", ["mysql"])
def test_add_foreign_key_adds_it_in_place_and_checks_the_rows(project_copy, kind, tmp_path):
    project = project_copy("mysql")
    add_example(project, "foreign-key-in-place")
    with throwaway_database(kind, tmp_path) as url:
        result = alembic(project, "-x", "verbose=true", "upgrade", "head", url=url)
        assert "REFERENCES users (id), ALGORITHM=INPLACE, LOCK=NONE" in output(result)
        inspector = sa.inspect(sa.create_engine(url, poolclass=sa.pool.NullPool))
        names = [key["name"] for key in inspector.get_foreign_keys("targets")]
        assert "fk_targets_reviewer_id_users" in names


@pytest.mark.parametrize("kind", ["mysql"])
def test_add_foreign_key_refuses_rows_referring_to_nothing(project_copy, kind, tmp_path):
    project = project_copy("mysql")
    add_example(project, "foreign-key-in-place")
    with throwaway_database(kind, tmp_path) as url:
        alembic(project, "upgrade", PREFERENCES, url=url)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO users (id, telegram_id) VALUES ('u1', 1)")
            connection.exec_driver_sql(
                "INSERT INTO targets (user_id, title, price) VALUES ('u1', 'a', 1)"
            )
        result = alembic(
            project, "upgrade", "head", url=url, extra_env={"SCENARIO_ORPHAN": "1"}, check=False
        )
        (line,) = [line for line in output(result).splitlines() if line.startswith("FAILED:")]
        assert "add_foreign_key(fk_targets_reviewer_id_users): 1 rows of targets" in line, line
        assert "refer to no row of users" in line, line
        names = [key["name"] for key in sa.inspect(engine).get_foreign_keys("targets")]
        assert "fk_targets_reviewer_id_users" not in names


@pytest.mark.parametrize("kind", ["mysql"])
def test_an_allowed_copy_runs_without_the_clause(project_copy, kind, tmp_path):
    project = project_copy("mysql")
    add_example(project, "table-copy-allowed")
    with throwaway_database(kind, tmp_path) as url:
        result = alembic(project, "-x", "verbose=true", "upgrade", "head", url=url)
        assert "ALTER TABLE targets MODIFY title TEXT NOT NULL\n" in output(result), output(result)
        alembic(project, "downgrade", PREFERENCES, url=url)
        columns = sa.inspect(sa.create_engine(url, poolclass=sa.pool.NullPool)).get_columns(
            "targets"
        )
        title = next(column for column in columns if column["name"] == "title")
        assert isinstance(title["type"], sa.String) and title["type"].length == 200


@pytest.mark.parametrize("kind", ["mysql"])
def test_an_indexed_column_is_dropped_in_place(kind, tmp_path):
    """ALGORITHM=INSTANT refuses to drop an indexed column (the index goes with it)."""
    from alembic import op

    with throwaway_database(kind, tmp_path) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER)")
            connection.exec_driver_sql("CREATE INDEX ix_t_c ON t (c)")
        online.register_online_ddl()
        statements: list[str] = []
        with engine.connect() as connection:
            sa.event.listen(
                connection, "before_cursor_execute", lambda *a: statements.append(a[2])
            )
            context = MigrationContext.configure(connection, opts={"mysql_online_ddl": True})
            with Operations.context(context):
                op.drop_column("t", "c")
        columns = [column["name"] for column in sa.inspect(engine).get_columns("t")]
        engine.dispose()
    assert "ALTER TABLE t DROP COLUMN c, ALGORITHM=INPLACE, LOCK=NONE" in statements
    assert columns == ["id"]
