"""`-x template=schema|data|stairway` writes the right revisions, and they run everywhere."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from .databases import throwaway_database
from .projects import alembic, run
from .schema import snapshot
from .test_generated_suite import output, pytest_in

PHONE = "    phone: Mapped[str] = mapped_column(sa.String(20))\n"
EXAMPLE_HEAD = "0002b8c4d2e9"


def revisions(project: Path) -> list[Path]:
    return sorted((project / "migrations" / "versions").glob("*.py"))


def heads(project: Path) -> list[str]:
    return re.findall(r"^(\w+) \(head\)", alembic(project, "heads").stdout, re.MULTILINE)


def add_required_phone(project: Path) -> None:
    """A NOT NULL column without a default on a table that already has rows."""
    users = project / "src/trading_bot/models/users.py"
    text = users.read_text()
    users.write_text(
        text.replace("\n\nclass UserPreferences", PHONE + "\n\nclass UserPreferences")
    )


def insert_users(url: sa.engine.URL, count: int) -> None:
    with sa.create_engine(url, poolclass=sa.pool.NullPool).begin() as connection:
        for number in range(count):
            connection.execute(
                sa.text("INSERT INTO users (id, telegram_id) VALUES (:id, :telegram_id)"),
                {"id": f"user-{number}", "telegram_id": 1000 + number},
            )


def test_unknown_template_fails_in_one_line_and_writes_nothing(project_copy):
    project = project_copy("default")  # were a file written, no other test should see it
    before = revisions(project)
    result = alembic(project, "-x", "template=dta", "revision", "-m", "typo", check=False)
    assert result.returncode != 0
    assert result.stdout.strip().splitlines()[-1] == (
        "FAILED: unknown migration template 'dta': use -x template= with one of "
        "schema, data, stairway"
    )
    assert revisions(project) == before


@pytest.mark.parametrize("kind", ["schema", "data"])
def test_schema_and_data_templates_write_lint_clean_revisions(project_copy, kind):
    project = project_copy("default")
    alembic(project, "-x", f"template={kind}", "revision", "-m", f"a {kind} change")
    (written,) = [p for p in revisions(project) if f"a_{kind}_change" in p.name]
    text = written.read_text()
    assert 'revision: str = "' in text and "down_revision: str | tuple[str, ...] | None" in text
    assert ("from alembic_env_backfill import backfill" in text) == (kind == "data")
    if kind == "data":  # the examples are comments; what runs is the one-line refusal
        assert "\n    backfill(" not in text
        assert text.count('raise CommandError(f"write this data migration: ') == 2
    assert "import trading_bot" not in text
    run(project, str(Path(sys.executable).parent / "ruff"), "check", "--no-cache", str(written))


def test_the_example_data_migration_keeps_data_across_upgrade_and_downgrade(bake, database_url):
    project = bake("default")
    alembic(project, "upgrade", "0001a1e7b1d4", url=database_url)
    insert_users(database_url, 25)
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO user_preferences (id, user_id, default_game, notification_enabled)"
                " VALUES ('chosen-by-user', 'user-0', 'dota', :off)"
            ),
            {"off": False},
        )
    alembic(project, "upgrade", EXAMPLE_HEAD, url=database_url)
    query = "SELECT id, user_id, default_game FROM user_preferences ORDER BY user_id"
    with engine.connect() as connection:
        rows = connection.execute(sa.text(query)).all()
        assert connection.scalar(sa.text("SELECT count(*) FROM users")) == 25
    assert len(rows) == 25
    assert ("chosen-by-user", "user-0", "dota") in rows
    added = [row for row in rows if row.id.startswith("pref_")]
    assert len(added) == 24 and all(r.id == f"pref_{r.user_id}" for r in added)
    assert {r.default_game for r in added} == {"csgo"}

    alembic(project, "downgrade", "0001a1e7b1d4", url=database_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text(query)).all() == [("chosen-by-user", "user-0", "dota")]
        assert connection.scalar(sa.text("SELECT count(*) FROM users")) == 25


def test_example_data_migration_is_one_statement_in_offline_sql(bake):
    sql = alembic(bake("default"), "upgrade", "0001a1e7b1d4:head", "--sql").stdout
    assert sql.count("INSERT INTO user_preferences") == 1


# --- the data template: nothing changes until someone writes the migration -----------------

ITEMS = sa.table("items", sa.column("id", sa.Integer), sa.column("price", sa.Numeric(10, 2)))


def create_items(url: sa.engine.URL) -> None:
    """The table the data skeleton's example names, with rows a runnable skeleton would change."""
    metadata = sa.MetaData()
    sa.Table(
        "items",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
    )
    with sa.create_engine(url, poolclass=sa.pool.NullPool).begin() as connection:
        metadata.create_all(connection)
        connection.execute(ITEMS.insert(), [{"id": n, "price": n} for n in range(1, 6)])


def prices(url: sa.engine.URL) -> list[float]:
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as connection:
        return [float(p) for p in connection.scalars(sa.select(ITEMS.c.price).order_by("id"))]


def new_data_revision(project: Path) -> Path:
    alembic(project, "-x", "template=data", "revision", "-m", "reprice items")
    (written,) = [p for p in revisions(project) if p.name.endswith("_reprice_items.py")]
    return written


def write_as_the_comments_say(revision: Path) -> None:
    """What a person does with the skeleton: the first example of each function, no raise."""
    lines = revision.read_text().splitlines(keepends=True)
    kept, examples_taken = [], set()
    function = None
    for line in lines:
        if line.startswith("def "):
            function = line
        if line.strip().startswith("#     backfill(") and function not in examples_taken:
            examples_taken.add(function)
            line = line.replace("#     backfill(", "backfill(")
        if "raise CommandError(" not in line:
            kept.append(line)
    revision.write_text("".join(kept))


def last_line(result) -> str:
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_the_data_skeleton_changes_nothing_until_written(project_copy, database_url):
    project = project_copy("default")
    alembic(project, "upgrade", "head", url=database_url)
    create_items(database_url)
    revision = new_data_revision(project)
    unwritten = f"FAILED: write this data migration: {revision.name}"

    result = alembic(project, "upgrade", "head", url=database_url, check=False)
    assert result.returncode != 0
    assert last_line(result) == f"{unwritten}: upgrade() is a TODO", output(result)
    assert "Traceback" not in output(result)
    assert prices(database_url) == [1, 2, 3, 4, 5]
    assert EXAMPLE_HEAD in alembic(project, "current", url=database_url).stdout
    offline = alembic(project, "upgrade", "head", "--sql", url=database_url, check=False)
    assert last_line(offline) == f"{unwritten}: upgrade() is a TODO", output(offline)
    assert "UPDATE items" not in offline.stdout

    alembic(project, "stamp", "head", url=database_url)
    result = alembic(project, "downgrade", "-1", url=database_url, check=False)
    assert last_line(result) == f"{unwritten}: downgrade() is a TODO", output(result)
    assert prices(database_url) == [1, 2, 3, 4, 5]
    alembic(project, "stamp", EXAMPLE_HEAD, url=database_url)

    # Written as its comments say, the same file changes the data, and undoes it.
    write_as_the_comments_say(revision)
    alembic(project, "upgrade", "head", url=database_url)
    assert prices(database_url) == [2, 4, 6, 8, 10]
    alembic(project, "downgrade", "-1", url=database_url)
    assert prices(database_url) == [1, 2, 3, 4, 5]


@pytest.mark.slow
def test_an_unwritten_data_revision_fails_the_generated_suite_by_name(project_copy, tmp_path):
    """Not skipped as irreversible: its downgrade raises CommandError, not NotImplementedError."""
    project = project_copy("default")
    revision = new_data_revision(project)
    result = pytest_in(project, tmp_path)
    text = output(result)
    assert result.returncode != 0, text
    assert f"write this data migration: {revision.name}: upgrade() is a TODO" in text
    assert "is irreversible" not in text, text


# --- SQLite --sql: each template's output works, or says in one line that it cannot ----------

NICKNAME = "    nickname: Mapped[str | None] = mapped_column(sa.String(40))\n"


def add_to_users(project: Path, line: str) -> None:
    users = project / "src/trading_bot/models/users.py"
    text = users.read_text()
    users.write_text(text.replace("\n\nclass UserPreferences", line + "\n\nclass UserPreferences"))


def assert_one_line_refusal(result, expected: str) -> None:
    """The command failed with one FAILED line, no traceback, and wrote no SQL after it."""
    assert result.returncode != 0, output(result)
    assert "Traceback" not in output(result), output(result)
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert failed == [last_line(result)], output(result)
    assert expected in failed[0], failed[0]


def revision_id(project: Path, suffix: str) -> str:
    (path,) = [p for p in revisions(project) if p.name.split("_", 3)[3] == f"{suffix}.py"]
    return path.name.split("_")[2]


@pytest.mark.slow
def test_schema_and_data_revisions_on_sqlite_with_sql(project_copy, tmp_path):
    project = project_copy("default")
    users = project / "src/trading_bot/models/users.py"
    with throwaway_database("sqlite", tmp_path) as url:
        alembic(project, "upgrade", "head", url=url)
        add_to_users(project, NICKNAME)
        alembic(project, "revision", "--autogenerate", "-m", "nickname", url=url)
        alembic(project, "upgrade", "head", url=url)
        users.write_text(users.read_text().replace(NICKNAME, NICKNAME.replace("40", "80")))
        alembic(project, "revision", "--autogenerate", "-m", "longer nickname", url=url)
        write_as_the_comments_say(new_data_revision(project))
        nickname, longer = (
            revision_id(project, "nickname"),
            revision_id(project, "longer_nickname"),
        )

        added = alembic(project, "upgrade", f"{EXAMPLE_HEAD}:{nickname}", "--sql", url=url)
        data = alembic(project, "upgrade", f"{longer}:head", "--sql", url=url)
        # A schema change that rebuilds the table: alembic's own line, naming copy_from=.
        rebuild = alembic(
            project, "upgrade", f"{nickname}:{longer}", "--sql", url=url, check=False
        )
    assert "ALTER TABLE users ADD COLUMN nickname VARCHAR(40);" in added.stdout
    assert "UPDATE items SET price=(items.price * 2)" in data.stdout
    assert_one_line_refusal(rebuild, "cannot proceed in --sql mode")
    assert "copy_from" in last_line(rebuild)


def test_stairway_on_sqlite_with_sql(project_copy, tmp_path):
    project = project_copy("default")
    alembic(project, "-x", "template=stairway", "revision", "-m", "users.phone required")
    fill_todo(project, '"unknown"')
    ids = {
        p.name.rsplit("_", 1)[1][:-3]: p.name.split("_")[2]
        for p in revisions(project)
        if "users_phone" in p.name
    }
    with throwaway_database("sqlite", tmp_path) as url:
        span = f"{EXAMPLE_HEAD}:{ids['backfill']}"
        sql = alembic(project, "upgrade", span, "--sql", url=url).stdout
        assert "ALTER TABLE users ADD COLUMN phone VARCHAR;" in sql
        assert "UPDATE users SET phone='unknown' WHERE users.phone IS NULL;" in sql

        contract = alembic(
            project, "upgrade", f"{EXAMPLE_HEAD}:head", "--sql", url=url, check=False
        )
        back = alembic(
            project, "downgrade", f"head:{ids['backfill']}", "--sql", url=url, check=False
        )
    refusal = "offline --sql is not supported for this step on SQLite"
    assert_one_line_refusal(contract, f"FAILED: set_not_null(users.phone): {refusal}")
    assert_one_line_refusal(back, f"FAILED: drop_not_null(users.phone): {refusal}")
    assert "UPDATE users SET phone" in contract.stdout  # the steps before it still rendered


def fill_todo(project: Path, value: str) -> None:
    (backfill,) = [p for p in revisions(project) if p.name.endswith("_backfill.py")]
    backfill.write_text(backfill.read_text().replace("TODO}", value + "}"))


@pytest.mark.slow
def test_stairway_from_autogenerate_on_each_database(project_copy, database_url):
    project = project_copy("default")
    alembic(project, "upgrade", "head", url=database_url)
    insert_users(database_url, 30)
    add_required_phone(project)
    message = "users.phone required"
    alembic(
        project,
        "-x",
        "template=stairway",
        "revision",
        "--autogenerate",
        "-m",
        message,
        url=database_url,
    )
    steps = {p.name.rsplit("_", 1)[1][:-3]: p for p in revisions(project) if "phone" in p.name}
    assert set(steps) == {"expand", "backfill", "contract"}
    assert len(heads(project)) == 1
    expand = steps["expand"].read_text()
    assert "Stairway step 1 of 3, expand" in expand and "nullable=True" in expand
    assert ("batch_alter_table" in expand) == (database_url.get_backend_name() == "sqlite")
    assert "Stairway step 3 of 3, contract" in steps["contract"].read_text()
    assert 'set_not_null("users", "phone")' in steps["contract"].read_text()
    fill_todo(project, '"unknown"')

    alembic(project, "upgrade", "head", url=database_url)
    phone = next(c for c in snapshot(database_url)["users"]["columns"] if c[0] == "phone")
    assert phone[2] is False, "phone is still nullable"
    with sa.create_engine(database_url, poolclass=sa.pool.NullPool).connect() as connection:
        assert set(connection.scalars(sa.text("SELECT phone FROM users"))) == {"unknown"}
    assert "No new upgrade operations" in alembic(project, "check", url=database_url).stdout

    for _ in range(3):
        alembic(project, "downgrade", "-1", url=database_url)
    assert EXAMPLE_HEAD in alembic(project, "current", url=database_url).stdout
    columns = [c[0] for c in snapshot(database_url)["users"]["columns"]]
    assert "phone" not in columns


@pytest.mark.postgresql
def test_contract_on_postgresql_uses_the_not_valid_recipe(project_copy, tmp_path):
    project = project_copy("default")
    alembic(project, "-x", "template=stairway", "revision", "-m", "users.phone required")
    fill_todo(project, '"unknown"')
    ids = re.findall(r"_([0-9a-f]{12})_users_phone", " ".join(p.name for p in revisions(project)))
    with throwaway_database("postgresql", tmp_path) as url:
        sql = alembic(project, "upgrade", f"{EXAMPLE_HEAD}:head", "--sql", url=url).stdout
    contract = sql.split("users.phone required - contract")[-1]
    expected = [
        "ADD CONSTRAINT ck_users_phone_not_null CHECK (phone IS NOT NULL) NOT VALID",
        "VALIDATE CONSTRAINT ck_users_phone_not_null",
        "ALTER COLUMN phone SET NOT NULL",
        "DROP CONSTRAINT ck_users_phone_not_null",
    ]
    positions = [contract.find(statement) for statement in expected]
    assert -1 not in positions and positions == sorted(positions), contract
    # Each step commits on its own: no exclusive lock is held across the scan.
    assert contract.count("COMMIT;") >= 4
    assert len(ids) == 3


def test_stairway_skeletons_without_autogenerate(project_copy, tmp_path):
    project = project_copy("default")
    result = alembic(project, "-x", "template=stairway", "revision", "-m", "users.phone required")
    assert result.stdout.count("Generating ") == 3
    assert len(heads(project)) == 1
    texts = {
        p.name.rsplit("_", 1)[1][:-3]: p.read_text()
        for p in revisions(project)
        if "phone" in p.name
    }
    assert '"users"' in texts["expand"] and '"phone"' in texts["expand"]
    assert "Stairway step 2 of 3, backfill" in texts["backfill"]
    fill_todo(project, '"unknown"')
    with throwaway_database("sqlite", tmp_path) as url:
        alembic(project, "upgrade", "head", url=url)
        insert_users(url, 0)
        alembic(project, "downgrade", EXAMPLE_HEAD, url=url)
        assert "phone" not in [c[0] for c in snapshot(url)["users"]["columns"]]


def test_plain_autogenerate_of_a_not_null_column_stays_one_revision(project_copy, tmp_path):
    project = project_copy("default")
    add_required_phone(project)
    with throwaway_database("sqlite", tmp_path) as url:
        alembic(project, "upgrade", "head", url=url)
        alembic(project, "revision", "--autogenerate", "-m", "phone", url=url)
    (written,) = [p for p in revisions(project) if p.name.endswith("_phone.py")]
    assert "nullable=False" in written.read_text()
    assert "Stairway" not in written.read_text()
