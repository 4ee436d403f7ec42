"""What the README's "Scale" section says our code sends to a database.

CockroachDB, Citus and Vitess are not on this machine: the README cites their documentation
for what they do with these statements, and these tests pin down the statements themselves,
so that a change to them fails here before the README goes stale.
"""

from __future__ import annotations

import io
import re
import sys

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from .databases import throwaway_database
from .projects import MIGRATIONS, alembic
from .test_generated_suite import INITIAL, PREFERENCES, output

sys.path.insert(0, str(MIGRATIONS))
from alembic_env_safe_ddl import create_index

OFFLINE_POSTGRESQL = sa.make_url("postgresql+psycopg://lint@localhost/offline")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["postgresql"])
def test_the_migration_lock_is_a_polled_session_advisory_lock(bake, kind, tmp_path):
    """CockroachDB defines pg_try_advisory_lock as a no-op: this is the call it gets."""
    with throwaway_database(kind, tmp_path) as url:
        text = output(alembic(bake("default"), "-x", "verbose=true", "upgrade", "head", url=url))
    assert "SELECT pg_try_advisory_lock(" in text and "SELECT pg_advisory_unlock(" in text
    assert not re.search(r"pg_advisory_(xact_)?lock\(", text), text


@pytest.mark.parametrize("kind", ["mysql"])
def test_the_mysql_lock_is_get_lock_and_its_wait_reads_the_processlist(bake, kind, tmp_path):
    """Vitess takes GET_LOCK only in a SELECT without a table; the wait message's lookup of
    the holder reads information_schema.processlist with IS_USED_LOCK."""
    with throwaway_database(kind, tmp_path) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as holder:
            holder.execute(
                sa.text("SELECT GET_LOCK(:name, 0)"), {"name": f"alembic:{url.database}"}
            )
            result = alembic(
                bake("mysql"),
                *("-x", "verbose=true", "upgrade", "head"),
                url=url,
                extra_env={"ALEMBIC_MIGRATION_LOCK_TIMEOUT": "1s"},
                check=False,
            )
        engine.dispose()
    text = output(result)
    assert result.returncode != 0 and "holds the migration lock" in text, text
    (get_lock,) = {line.split("] ", 1)[1] for line in text.splitlines() if "GET_LOCK(" in line}
    assert get_lock.startswith("SELECT GET_LOCK(") and " FROM " not in get_lock, get_lock
    assert re.search(r"FROM information_schema\.processlist\s+WHERE id = IS_USED_LOCK\(", text)


@pytest.mark.slow
def test_each_postgresql_revision_runs_in_a_transaction_of_its_own(bake):
    """CockroachDB does not make DDL in an explicit transaction atomic: this is what it gets."""
    sql = alembic(bake("default"), "upgrade", "head", "--sql", url=OFFLINE_POSTGRESQL).stdout
    transactions = re.findall(r"^BEGIN;$(.*?)^COMMIT;$", sql, re.MULTILINE | re.DOTALL)
    assert len(transactions) == 2, sql
    assert "CREATE TABLE users" in transactions[0]
    assert f"INSERT INTO alembic_version (version_num) VALUES ('{INITIAL}')" in transactions[0]
    assert f"SET version_num='{PREFERENCES}'" in transactions[1]


def test_a_concurrent_index_drops_a_leftover_before_building_if_not_exists() -> None:
    """Citus issue 8338: CREATE INDEX CONCURRENTLY IF NOT EXISTS over an existing index
    invalidates it. The safe step never builds over one: online it returns first when a
    valid index exists; in --sql it drops any leftover first."""
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql",
        opts={"as_sql": True, "output_buffer": buffer, "transaction_per_migration": True},
    )
    with Operations.context(context), context.begin_transaction(_per_migration=True):
        create_index("ix_users_email", "users", ["email"])
    sql = buffer.getvalue()
    dropped = sql.index("DROP INDEX CONCURRENTLY IF EXISTS ix_users_email;")
    built = sql.index("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_users_email ON users (email);")
    assert dropped < built
    assert sql.rindex("COMMIT;", 0, dropped) > sql.rindex("BEGIN;", 0, dropped), sql


@pytest.mark.parametrize("kind", ["postgresql"])
def test_a_concurrent_index_is_not_built_over_a_valid_one(kind, tmp_path) -> None:
    """Online, the safe step reads pg_index first and builds nothing over a valid index."""
    with throwaway_database(kind, tmp_path) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE users (email TEXT)")
            connection.exec_driver_sql("CREATE INDEX ix_users_email ON users (email)")
        statements: list[str] = []
        with engine.connect() as connection:
            sa.event.listen(
                connection, "before_cursor_execute", lambda *a: statements.append(a[2])
            )
            context = MigrationContext.configure(
                connection, opts={"transaction_per_migration": True}
            )
            with Operations.context(context), context.begin_transaction(_per_migration=True):
                create_index("ix_users_email", "users", ["email"])
        engine.dispose()
    assert any("pg_index" in statement for statement in statements), statements
    assert not any("CREATE INDEX" in statement for statement in statements), statements
