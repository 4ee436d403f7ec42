"""On a busy database: bounded lock waits, retries, one migrator at a time, safe recipes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from .databases import throwaway_database
from .projects import MIGRATIONS, add_example, alembic
from .schema import snapshot

sys.path.insert(0, str(MIGRATIONS))
from alembic.config import Config
from alembic_env_config import DEFAULT_LOCK_RETRIES, Settings
from alembic_env_locks import BACKOFF_CAP_S, BACKOFF_FIRST_S, backoff_seconds, timeout_statements

EXAMPLE_HEAD = "0002b8c4d2e9"


def engine(url: sa.engine.URL) -> sa.engine.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def seed_user(url: sa.engine.URL) -> None:
    with engine(url).begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO users (id, telegram_id, username) VALUES ('u0', 1, 'first')"
        )


@contextmanager
def long_transaction(
    url: sa.engine.URL, seconds: float, release: threading.Event | None = None
) -> Iterator[threading.Thread]:
    """A transaction that read the users table and stays open for `seconds`, or until
    `release` is set."""
    ready = threading.Event()
    release = release or threading.Event()

    def hold() -> None:
        with engine(url).connect() as connection:
            connection.exec_driver_sql("SELECT * FROM users").all()
            ready.set()
            release.wait(seconds)
            connection.rollback()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(30)
    try:
        yield thread
    finally:
        release.set()
        thread.join()


def wait_until_ddl_queues(url: sa.engine.URL, timeout: float = 60) -> None:
    """Return once an ALTER TABLE on users waits for its lock (alembic takes a while to start)."""
    if url.get_backend_name() == "postgresql":
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE 'ALTER TABLE users%%'"
        )
    else:
        query = (
            "SELECT count(*) FROM information_schema.processlist WHERE"
            " state = 'Waiting for table metadata lock' AND info LIKE 'ALTER TABLE users%%'"
        )
    deadline = time.monotonic() + timeout
    with engine(url).connect() as connection:
        while not connection.exec_driver_sql(query).scalar():
            assert time.monotonic() < deadline, "the migration never queued for its lock"
            connection.rollback()
            time.sleep(0.05)


def in_background(function, *args, **kwargs) -> tuple[threading.Thread, list]:
    """Run function in a thread; the list receives its result."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function(*args, **kwargs)))
    thread.start()
    return thread, result


@contextmanager
def writer(url: sa.engine.URL) -> Iterator[list[float]]:
    """Updates a users row over and over; yields the list of each update's seconds."""
    latencies: list[float] = []
    stop = threading.Event()

    def write() -> None:
        with engine(url).connect() as connection:
            while not stop.is_set():
                started = time.monotonic()
                connection.exec_driver_sql("UPDATE users SET telegram_id = telegram_id + 1")
                connection.commit()
                latencies.append(time.monotonic() - started)
                time.sleep(0.02)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        yield latencies
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
@pytest.mark.slow
def test_lock_timeout_bounds_how_long_writers_wait(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "nickname-column")
    with throwaway_database(kind, tmp_path) as url:
        alembic(project, "upgrade", EXAMPLE_HEAD, url=url)
        seed_user(url)
        bounded = {"ALEMBIC_LOCK_TIMEOUT": "1s", "ALEMBIC_LOCK_RETRIES": "0"}
        with long_transaction(url, seconds=60), writer(url) as waits:
            time.sleep(0.3)
            result = alembic(project, "upgrade", "head", url=url, extra_env=bounded, check=False)
            time.sleep(0.3)
        assert result.returncode != 0
        line = result.stdout.strip().splitlines()[-1]
        assert line.startswith("FAILED: gave up after 1 tries waiting for a lock")
        assert f"the database is at revision {EXAMPLE_HEAD}" in line
        if kind == "postgresql":
            assert "on users, held by pid" in line and "AccessShareLock" in line
        else:  # MySQL cannot tell which transaction holds a table: it names the open ones
            assert "on users, while these transactions were open: connection" in line
        assert waits, "the writer never finished an update"
        assert max(waits) < 3, f"a writer waited {max(waits):.1f} s behind the migration"

        unbounded = {"ALEMBIC_LOCK_TIMEOUT": "0"}
        release = threading.Event()
        with long_transaction(url, 60, release), writer(url) as waits:
            migration, result = in_background(
                alembic, project, "upgrade", "head", url=url, extra_env=unbounded
            )
            wait_until_ddl_queues(url)
            time.sleep(5)  # the blocker's transaction goes on; so does the queue behind it
            release.set()
            migration.join()
        assert result and result[0].returncode == 0
        assert max(waits) > 4, "without a lock timeout the writer waits the blocker out"


# env.py's log line for each retry: "...; trying again in 0.4 s (2 of 11)".
RETRY_LINE = re.compile(r"Lock timeout \((.+?)\); trying again in ([\d.]+) s \((\d+) of (\d+)\)")


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
@pytest.mark.slow
def test_a_revision_is_retried_with_backoff_until_the_lock_is_free(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "nickname-column")
    with throwaway_database(kind, tmp_path) as url:
        alembic(project, "upgrade", EXAMPLE_HEAD, url=url)
        release = threading.Event()
        with long_transaction(url, 60, release):
            # The defaults: lock_timeout 500ms (1 s on MySQL), lock_retries 10.
            migration, results = in_background(alembic, project, "upgrade", "head", url=url)
            wait_until_ddl_queues(url)
            time.sleep(3)  # the blocker's transaction ends ~3 s after the first try queued
            release.set()
            migration.join()
        (result,) = results
        retries = RETRY_LINE.findall(result.stderr)
        # Tries start at most 0.5 s + the first wait (<= 0.5 s) apart: two fall in the 3 s.
        assert len(retries) >= 2, result.stderr
        assert [int(number) for _, _, number, _ in retries] == list(range(2, len(retries) + 2))
        for failed_tries, (statement, wait, _, tries) in enumerate(retries, start=1):
            assert statement.startswith("ALTER TABLE users ADD COLUMN nickname")
            assert tries == "11"
            ceiling = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** (failed_tries - 1))
            assert ceiling / 2 - 0.05 <= float(wait) <= ceiling + 0.05, (failed_tries, wait)
        assert "aaaa00000001 (head)" in alembic(project, "current", url=url).stdout


def test_the_default_lock_timeout_is_500ms_and_whole_seconds_on_mysql():
    lock_timeout = Settings(Config()).seconds("lock_timeout")
    assert timeout_statements("postgresql", lock_timeout) == ["SET lock_timeout = 500"]
    assert timeout_statements("mysql", lock_timeout) == ["SET SESSION lock_wait_timeout = 1"]


def test_retry_waits_double_up_to_a_cap_with_jitter():
    ceilings = [min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** (n - 1)) for n in range(1, 11)]
    assert ceilings == [0.5, 1, 2, 4, 5, 5, 5, 5, 5, 5]  # as the READMEs say
    for failed_tries, ceiling in enumerate(ceilings, start=1):
        waits = [backoff_seconds(failed_tries) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 100, "no jitter: retrying migrators would come back in step"
    # The READMEs: 19 to 38 s of waits over the default 10 retries.
    assert (round(sum(ceilings) / 2), round(sum(ceilings))) == (19, 38)
    assert len(ceilings) == DEFAULT_LOCK_RETRIES


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
@pytest.mark.slow
def test_eight_migrators_at_once_each_revision_runs_once(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "index-then-column")
    with (
        throwaway_database(kind, tmp_path / "racing") as url,
        throwaway_database(kind, tmp_path / "reference") as reference,
    ):
        url_text = url.render_as_string(hide_password=False)
        command = [sys.executable, "-m", "alembic", "upgrade", "head"]
        environment = {**os.environ, "DATABASE_URL": url_text}
        processes = [
            subprocess.Popen(
                command,
                cwd=project,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(8)
        ]
        outputs = [process.communicate(timeout=300) for process in processes]
        assert [p.returncode for p in processes] == [0] * 8, [o[1][-500:] for o in outputs]
        logs = "".join(stderr for _, stderr in outputs)
        for revision in ("0001a1e7b1d4", EXAMPLE_HEAD, "aaaa00000001", "aaaa00000002"):
            assert logs.count(f"-> {revision},") == 1, f"{revision} ran more or less than once"
        alembic(project, "upgrade", "head", url=reference)
        assert snapshot(url) == snapshot(reference)


@pytest.mark.postgresql
def test_a_failed_concurrent_index_leaves_no_invalid_index(project_copy, tmp_path):
    project = project_copy("default")
    add_example(project, "unique-index-on-duplicates")
    with throwaway_database("postgresql", tmp_path) as url:
        alembic(project, "upgrade", EXAMPLE_HEAD, url=url)
        seed_user(url)
        with engine(url).begin() as connection:
            for number in (1, 2):
                connection.exec_driver_sql(
                    "INSERT INTO targets (id, user_id, title, price)"
                    f" VALUES ({number}, 'u0', 'same', 1)"
                )
        failed = alembic(project, "upgrade", "head", url=url, check=False)
        assert failed.returncode != 0 and "could not create unique index" in failed.stdout
        validity = (
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_targets_title'::regclass"
        )
        with engine(url).connect() as connection:
            assert connection.scalar(sa.text(validity)) is False  # what a retry must clean up
            connection.exec_driver_sql("DELETE FROM targets WHERE id = 2")
            connection.commit()
        alembic(project, "upgrade", "head", url=url)
        with engine(url).connect() as connection:
            assert connection.scalar(sa.text(validity)) is True


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_revision_failing_halfway(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "fails-halfway")
    with throwaway_database(kind, tmp_path) as url:
        alembic(project, "upgrade", EXAMPLE_HEAD, url=url)
        result = alembic(project, "upgrade", "head", url=url, check=False)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        line = result.stdout.strip().splitlines()[-1]
        assert "ALTER TABLE no_such_table ADD COLUMN b INTEGER" in line
        assert f"the database is at revision {EXAMPLE_HEAD}" in line
        columns = [column[0] for column in snapshot(url)["users"]["columns"]]
        if kind == "postgresql":  # transactional DDL: the whole revision rolled back
            assert "nickname" not in columns and "half-applied" not in line
        else:  # MySQL committed the first statement: the message says how to recover
            assert "nickname" in columns and "'A half-applied revision' in the README" in line
            assert "revision aaaa00000001 is half-applied" in line
            assert "stay applied: ALTER TABLE users ADD COLUMN nickname" in line
            assert f"alembic upgrade {EXAMPLE_HEAD}:aaaa00000001 --sql" in line


# Per database: the scenario, why its revision stays half-applied, who held the lock.
HALF_APPLIED = {
    "postgresql": (
        "column-index-then-locked-column",  # the concurrent index commits targets.note
        "half-applied: a step of it that commits on its own",
        "on users, held by pid",
    ),
    "mysql": (
        "column-then-locked-column",  # MySQL commits each ALTER
        "half-applied: MySQL cannot roll back DDL",
        "on users, while these transactions were open: connection",
    ),
}


@pytest.mark.parametrize("kind", list(HALF_APPLIED))
@pytest.mark.slow
def test_a_half_applied_revision_is_not_retried_and_says_what_ran(project_copy, tmp_path, kind):
    example, why, holders = HALF_APPLIED[kind]
    project = project_copy("default")
    add_example(project, example)
    with throwaway_database(kind, tmp_path) as url:
        alembic(project, "upgrade", EXAMPLE_HEAD, url=url)
        retrying = {"ALEMBIC_LOCK_TIMEOUT": "1s", "ALEMBIC_LOCK_RETRIES": "3"}
        with long_transaction(url, seconds=60):
            time.sleep(0.3)
            result = alembic(project, "upgrade", "head", url=url, extra_env=retrying, check=False)
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "trying again" not in result.stderr, "a half-applied revision was retried"
        line = result.stdout.strip().splitlines()[-1]
        assert line.startswith("FAILED: ") and f"revision aaaa00000001 is {why}" in line
        assert "stay applied: ALTER TABLE targets ADD COLUMN note" in line
        assert f"alembic upgrade {EXAMPLE_HEAD}:aaaa00000001 --sql" in line
        assert holders in line
        assert f"the database is at revision {EXAMPLE_HEAD}" in line
        assert "note" in [column[0] for column in snapshot(url)["targets"]["columns"]]


def test_offline_sql_bounds_its_lock_waits_first(bake):
    sql = alembic(
        bake("default"),
        "upgrade",
        "head",
        "--sql",
        extra_env={"DATABASE_URL": "postgresql+psycopg://x@localhost/x"},
    ).stdout
    assert sql.lstrip().startswith("SET lock_timeout = 500;\n\nSET statement_timeout = 600000;")


def test_a_check_constraint_is_added_to_a_table_with_rows(project_copy, database_url):
    project = project_copy("default")
    add_example(project, "check-constraint")
    alembic(project, "upgrade", EXAMPLE_HEAD, url=database_url)
    seed_user(database_url)
    alembic(project, "upgrade", "head", url=database_url)
    assert "ck_users_telegram_id_positive" in snapshot(database_url)["users"]["checks"]
    violation = pytest.raises(sa.exc.DBAPIError, match="ck_users_telegram_id_positive")
    with violation, engine(database_url).begin() as connection:
        connection.exec_driver_sql("INSERT INTO users (id, telegram_id) VALUES ('u9', -1)")
    alembic(project, "downgrade", EXAMPLE_HEAD, url=database_url)
    assert "ck_users_telegram_id_positive" not in snapshot(database_url)["users"]["checks"]
