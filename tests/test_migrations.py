"""Baked projects migrate up, down and up again on every database, and stay in sync."""

from __future__ import annotations

import sys

import pytest
import sqlalchemy as sa

from .databases import apply_with_client, throwaway_database
from .projects import EXAMPLES, alembic, run, url_for_project
from .schema import convention_violations, snapshot

# (option set, database): the default project on every database, each variant on its own.
CYCLES = [
    ("default", "sqlite"),
    ("default", "postgresql"),
    ("default", "mysql"),
    ("postgresql-async-pyproject", "postgresql"),
    ("mysql", "mysql"),
    ("mysql-async", "mysql"),
    ("sqlite-pyproject", "sqlite"),
    ("sqlite-async-bare", "sqlite"),
]
# The inner loop cycles the default project; the variants repeat it with other answers.
CYCLE_PARAMS = [
    pytest.param(o, k, id=f"{o}-on-{k}", marks=() if o == "default" else pytest.mark.slow)
    for o, k in CYCLES
]


def head_of(project) -> str:
    """The head revision id, as `alembic heads` prints it."""
    return alembic(project, "heads").stdout.split()[0]


@pytest.mark.parametrize(("option_set", "kind"), CYCLE_PARAMS)
def test_upgrade_downgrade_upgrade_then_check_is_clean(bake, tmp_path, option_set, kind):
    project = bake(option_set)
    with throwaway_database(kind, tmp_path) as url:
        project_url = url_for_project(url, option_set)
        alembic(project, "upgrade", "head", url=project_url)
        after_first = snapshot(url)
        alembic(project, "downgrade", "base", url=project_url)
        assert set(snapshot(url)) <= {"alembic_version"}, "downgrade base left tables behind"
        alembic(project, "upgrade", "head", url=project_url)
        assert snapshot(url) == after_first
        if any((project / "migrations" / "versions").glob("*.py")):
            assert "(head)" in alembic(project, "current", url=project_url).stdout
        check = alembic(project, "check", url=project_url)
        assert "No new upgrade operations detected" in check.stdout
        assert convention_violations(url) == []


def test_example_schema_has_the_conventions_names(bake, database_url):
    project = bake("default")
    alembic(project, "upgrade", "head", url=database_url)
    shape = snapshot(database_url)
    assert ("fk_targets_user_id_users", ("user_id",), "users") in shape["targets"]["foreign_keys"]
    assert "ck_targets_price_not_negative" in shape["targets"]["checks"]
    index_names = {index[0] for index in shape["users"]["indexes"]}
    assert "ix_users_telegram_id" in index_names
    unique_names = {u[0] for u in shape["users"]["unique"]} | index_names
    assert "uq_users_username" in unique_names
    assert convention_violations(database_url) == []


ADDED_TO_TARGETS = """
    sku: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    category: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    buyer_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"))
"""


def test_autogenerate_round_trip_uses_the_naming_convention(project_copy, database_url):
    project = project_copy("default")
    alembic(project, "upgrade", "head", url=database_url)
    initial = head_of(project)
    models = project / "src" / "trading_bot" / "models" / "targets.py"
    models.write_text(models.read_text() + ADDED_TO_TARGETS)

    alembic(project, "revision", "--autogenerate", "-m", "target details", url=database_url)
    written = sorted(
        (project / "migrations/versions").glob("*target_details*.py"),
        key=lambda path: path.name.endswith("_indexes_and_constraints.py"),
    )
    # Indexes and constraints on the existing table get their own revision, via safe_ddl.
    assert [path.name.endswith("_indexes_and_constraints.py") for path in written] == [
        False,
        True,
    ]
    schema_step, additions_step = (path.read_text() for path in written)
    assert (
        f"down_revision: str | tuple[str, ...] | None = {written[0].name.split('_')[2]!r}".replace(
            "'", '"'
        )
        in additions_step
    )
    for call in (
        'create_index(op.f("ix_targets_category"), "targets", ["category"])',
        'add_unique_constraint(op.f("uq_targets_sku"), "targets", ["sku"])',
        'add_foreign_key(op.f("fk_targets_buyer_id_users"), "targets", "users"',
    ):
        assert call in additions_step, f"{call} missing from\n{additions_step}"
    assert "add_column" in schema_step and "create_index" not in schema_step
    is_sqlite = database_url.get_backend_name() == "sqlite"
    assert ("batch_alter_table" in schema_step) == is_sqlite

    alembic(project, "upgrade", "head", url=database_url)
    assert "No new upgrade operations" in alembic(project, "check", url=database_url).stdout
    assert convention_violations(database_url) == []
    alembic(project, "downgrade", "-2", url=database_url)
    assert initial in alembic(project, "current", url=database_url).stdout
    columns = {column[0] for column in snapshot(database_url)["targets"]["columns"]}
    assert not columns & {"sku", "category", "buyer_id"}


def test_autogenerate_without_changes_writes_no_file(project_copy, tmp_path):
    project = project_copy("default")  # were a file written, no other test should see it
    with throwaway_database("sqlite", tmp_path) as url:
        alembic(project, "upgrade", "head", url=url)
        before = sorted((project / "migrations/versions").iterdir())
        result = alembic(project, "revision", "--autogenerate", "-m", "nothing", url=url)
        assert sorted((project / "migrations/versions").iterdir()) == before
        assert "No schema changes detected; no revision file written." in result.stderr


def create_foreign_objects(url: sa.engine.URL) -> None:
    """Tables autogenerate must leave alone, plus one (`stray`) it must report."""
    statements = [
        "CREATE TABLE tmp_import (id INTEGER PRIMARY KEY)",
        "CREATE TABLE temp_scratch (id INTEGER PRIMARY KEY)",
        "CREATE TABLE spatial_ref_sys (srid INTEGER PRIMARY KEY, auth_name VARCHAR(256))",
        "CREATE TABLE stray (id INTEGER PRIMARY KEY)",
    ]
    if url.get_backend_name() == "postgresql":
        statements += [
            "CREATE TABLE events (id INTEGER, at DATE NOT NULL) PARTITION BY RANGE (at)",
            "CREATE TABLE events_2025 PARTITION OF events"
            " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        ]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def test_temporary_partition_and_system_tables_produce_no_operations(bake, database_url):
    project = bake("default")
    alembic(project, "upgrade", "head", url=database_url)
    create_foreign_objects(database_url)
    # `events`, the partitioned parent, is the team's own: excluded through the config.
    extra = {"ALEMBIC_EXCLUDE_TABLES": "events"}
    check = alembic(project, "check", url=database_url, extra_env=extra, check=False)
    output = check.stdout + check.stderr
    assert check.returncode != 0 and "stray" in output, output
    for ignored in ("tmp_import", "temp_scratch", "spatial_ref_sys", "events_2025", "'events'"):
        assert ignored not in output


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
@pytest.mark.slow
def test_offline_sql_applies_with_the_database_client_and_matches_online(bake, tmp_path, kind):
    project = bake("default")
    with (
        throwaway_database(kind, tmp_path / "offline") as offline,
        throwaway_database(kind, tmp_path / "online") as online,
    ):
        script = alembic(project, "upgrade", "head", "--sql", url=offline).stdout
        (tmp_path / "migration.sql").write_text(script)
        apply_with_client(offline, tmp_path / "migration.sql")
        alembic(project, "upgrade", "head", url=online)
        assert snapshot(offline) == snapshot(online)
        assert head_of(project) in alembic(project, "current", url=offline).stdout


def test_a_connection_handed_over_in_attributes_is_used_as_it_is(bake, tmp_path):
    project = bake("default")
    url = f"sqlite:///{tmp_path / 'handed.db'}"
    # DATABASE_URL names a server that does not exist: only the handed-over connection works.
    unreachable = sa.make_url("postgresql+psycopg://nobody@127.0.0.1:1/none")
    script = EXAMPLES / "connection-in-attributes" / "upgrade_on_a_handed_connection.py"
    result = run(project, sys.executable, str(script), url, url=unreachable)
    assert "'alembic_version', 'targets', 'user_preferences', 'users'" in result.stdout
