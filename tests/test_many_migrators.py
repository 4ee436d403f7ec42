"""A large deploy: many `alembic upgrade head` at once on one database.

Each migrator holds one connection, waiting or migrating (the migration lock is taken on
the migration's own connection), so 64 of them fit a default server; each revision runs
once; and a migrator the server refuses a connection says so in one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from .databases import execute_autocommit, server_url, throwaway_database
from .projects import MIGRATIONS, add_example, alembic, run

sys.path.insert(0, str(MIGRATIONS))
from alembic_env_locks import ADVISORY_LOCK_KEY

EXAMPLE_HEAD = "0002b8c4d2e9"
# A large deploy; PostgreSQL's default max_connections is 100, MariaDB's 151.
MIGRATORS = 64
REVISIONS = ("aaaa00000001", "aaaa00000002", "aaaa00000003")

pytestmark = pytest.mark.slow


class ConnectionSampler(threading.Thread):
    """Counts, every 50 ms, the connections to one database, by client where it can tell.

    PostgreSQL tells each migrator's connections apart by application_name; MariaDB's
    processlist only by database.
    """

    def __init__(self, kind: str, database: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(server_url(kind), poolclass=sa.pool.NullPool)
        self.query = sa.text(
            "SELECT application_name FROM pg_stat_activity WHERE datname = :database"
            " AND backend_type = 'client backend'"  # not autovacuum
            if kind == "postgresql"
            else "SELECT 'any' FROM information_schema.processlist WHERE db = :database"
        )
        self.database = database
        self.stop = threading.Event()
        self.samples: list[Counter[str]] = []

    def run(self) -> None:
        with self.engine.connect() as connection:
            while not self.stop.wait(0.05):
                rows = connection.execute(self.query, {"database": self.database}).all()
                self.samples.append(Counter(row[0] for row in rows))
                connection.rollback()

    def latest(self) -> int:
        return sum(self.samples[-1].values()) if self.samples else 0

    def most_at_once(self) -> int:
        return max((sum(sample.values()) for sample in self.samples), default=0)

    def most_of_one_client(self) -> int:
        return max((max(sample.values(), default=0) for sample in self.samples), default=0)


@contextmanager
def sampling(kind: str, database: str) -> Iterator[ConnectionSampler]:
    sampler = ConnectionSampler(kind, database)
    sampler.start()
    try:
        yield sampler
    finally:
        sampler.stop.set()
        sampler.join()
        sampler.engine.dispose()


def start_migrator(project, url: sa.engine.URL, number: int, log_dir) -> subprocess.Popen:
    """`alembic upgrade head` in a process of its own, named migrator-N on PostgreSQL."""
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"application_name": f"migrator-{number}"})
    env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)}
    with (
        (log_dir / f"{number}.out").open("w") as out,
        (log_dir / f"{number}.err").open("w") as err,
    ):
        return subprocess.Popen(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=project,
            env=env,
            stdout=out,
            stderr=err,
        )


@contextmanager
def migration_lock_held(url: sa.engine.URL) -> Iterator[None]:
    """The migration lock, taken by the test as a migrator takes it, until the body ends."""
    if url.get_backend_name() == "postgresql":
        take, give_back = "SELECT pg_advisory_lock(:key)", "SELECT pg_advisory_unlock(:key)"
    else:
        take, give_back = "SELECT GET_LOCK(:name, 0)", "SELECT RELEASE_LOCK(:name)"
    names = {"key": ADVISORY_LOCK_KEY, "name": f"alembic:{url.database}"}
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as connection:
        connection.execute(sa.text(take), names)
        connection.commit()
        try:
            yield
        finally:
            connection.execute(sa.text(give_back), names)
            connection.commit()


def wait_until_all_wait(sampler: ConnectionSampler, migrators: list[subprocess.Popen]) -> None:
    """Return once every migrator is connected (and so waiting for the lock the test holds)."""
    deadline = time.monotonic() + 600  # 64 Python start-ups on a small shared machine
    while sampler.latest() < len(migrators) + 1:
        exited = [n for n, migrator in enumerate(migrators) if migrator.poll() is not None]
        assert not exited, f"migrators {exited} ended while the test held the migration lock"
        assert time.monotonic() < deadline, f"only {sampler.latest()} connections after 600 s"
        time.sleep(0.2)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_64_migrators_at_once_all_succeed_on_one_connection_each(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "many-migrators")
    logs = tmp_path / "logs"
    logs.mkdir()
    with throwaway_database(kind, tmp_path) as url:
        alembic(project, "upgrade", EXAMPLE_HEAD, url=url)
        with sampling(kind, url.database) as sampler:
            # All 64 wait at once: the test holds the lock until each has connected.
            with migration_lock_held(url):
                migrators = [start_migrator(project, url, n, logs) for n in range(MIGRATORS)]
                wait_until_all_wait(sampler, migrators)
            codes = [migrator.wait(timeout=600) for migrator in migrators]
        outputs = [
            (logs / f"{n}.out").read_text() + (logs / f"{n}.err").read_text()
            for n in range(MIGRATORS)
        ]
        failed = [(n, text[-600:]) for n, text in enumerate(outputs) if codes[n] != 0]
        assert not failed, f"{len(failed)} of {MIGRATORS} migrators failed: {failed[:3]}"
        everything = "".join(outputs)
        for revision in REVISIONS:
            assert everything.count(f"-> {revision},") == 1, (
                f"{revision} ran more or less than once"
            )
        holder = "pid " if kind == "postgresql" else "connection "  # named, not "?"
        assert f"Waiting for the migration lock, held by {holder}" in everything
        with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM deploy_runs")).scalar() == 1
    # The migrators, and the test's own connection holding the lock at first.
    assert sampler.most_at_once() == MIGRATORS + 1, "a migrator held more than one connection"
    if kind == "postgresql":
        assert sampler.most_of_one_client() == 1, "a migrator held more than one connection"


@contextmanager
def user_with_one_connection(kind: str, database: str) -> Iterator[sa.engine.URL]:
    """A throwaway login that may hold one connection at a time, already holding it."""
    admin = server_url(kind)
    name = f"at_{uuid.uuid4().hex[:12]}"
    if kind == "postgresql":
        made = [f"CREATE ROLE {name} LOGIN CONNECTION LIMIT 1"]
        dropped = [f"DROP ROLE IF EXISTS {name}"]
    else:  # TCP from 127.0.0.1 may match either host; %% is PyMySQL's escaped %
        hosts = ("'%%'", "'localhost'")
        made = [f"CREATE USER '{name}'@{h} WITH MAX_USER_CONNECTIONS 1" for h in hosts]
        made += [f"GRANT ALL ON {database}.* TO '{name}'@{h}" for h in hosts]
        dropped = [f"DROP USER IF EXISTS '{name}'@{h}" for h in hosts]
    execute_autocommit(admin, *made)
    url = admin.set(username=name, password=None, database=database)
    try:
        with sa.create_engine(url, poolclass=sa.pool.NullPool).connect():
            yield url
    finally:
        execute_autocommit(admin, *dropped)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_running_out_of_connections_is_one_line(project_copy, tmp_path, kind):
    project = project_copy("default")
    with (
        throwaway_database(kind, tmp_path) as database,
        user_with_one_connection(kind, database.database) as url,
    ):
        result = alembic(project, "upgrade", "head", url=url, check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.strip()]
    assert line.startswith(
        f"FAILED: cannot connect to {url.render_as_string(hide_password=True)}: the database "
        "refused a connection: too many clients ("
    ), line
    assert line.endswith(
        "; lower the number of concurrent migrators, or raise max_connections (or the "
        "user's connection limit)"
    ), line


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_pooled_engine_handed_over_keeps_no_migration_lock(project_copy, tmp_path, kind):
    project = project_copy("default")
    (script,) = [
        path
        for path in add_example(project, "many-migrators")
        if path.name == "upgrade_on_a_pooled_engine.py"
    ]
    with throwaway_database(kind, tmp_path) as url:
        alembic(project, "upgrade", EXAMPLE_HEAD, url=url)
        printed = run(
            project, sys.executable, str(script), url.render_as_string(hide_password=False)
        ).stdout.splitlines()
    assert printed[0].startswith("failing on the pooled engine: Can't locate revision")
    assert printed[1:] == [
        "succeeding on the pooled engine: ok",
        "pooled connections: 1",  # the caller's session lives on in its pool
        "on a session of its own: ok",  # and does not hold the migration lock
    ]
