"""A private PostgreSQL primary and streaming standby on this machine, for replica tests.

The shared server (TEST_POSTGRESQL_URL) allows no replication connections, so the tests
make a pair of their own: `initdb` in a folder the postgres user owns, `pg_basebackup -R`
from it, both started with `pg_ctl` on ports 5433 and 5434 (TEST_STANDBY_PORTS="P,S" to
change them). The pair outlives the test session, like the other servers: the next
session, or another xdist worker, finds it running and uses it; a file lock lets one
process at a time make or start it. Where PostgreSQL's server programs are not installed
the tests skip, saying so (they fail instead under REQUIRE_TEST_SERVERS=1).

    python -m tests.standby          # make or start the pair, print its two URLs
    python -m tests.standby stop     # stop both servers (the folder stays)
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

FOLDER = Path(os.environ.get("TEST_STANDBY_DIR", "/tmp/alembic-template-standby"))
PORTS = tuple(int(p) for p in os.environ.get("TEST_STANDBY_PORTS", "5433,5434").split(","))
# The server user: PostgreSQL refuses to run as root.
SERVER_USER = "postgres"
STARTUP_SECONDS = 60


class Unavailable(Exception):
    """The pair cannot be made here; the message says why and what would fix it."""


@dataclass(frozen=True)
class StandbyPair:
    """Administrative URLs of the primary and of its streaming standby."""

    primary: URL
    standby: URL

    def on(self, database: str) -> tuple[URL, URL]:
        """Both URLs for one database (a database made on the primary reaches the standby)."""
        return self.primary.set(database=database), self.standby.set(database=database)


def url(port: int) -> URL:
    return sa.make_url(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")


def server_programs() -> Path:
    """The folder of initdb, pg_ctl and pg_basebackup (not on PATH on Debian)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"), reverse=True)
    found = [path.parent for path in versions] + [
        Path(program).parent for program in [shutil.which("pg_basebackup")] if program
    ]
    usable = [folder for folder in found if (folder / "initdb").exists()]
    if not usable:
        raise Unavailable(
            "the standby tests need PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup)"
        )
    return usable[0]


def as_server_user(*command: str | Path) -> subprocess.CompletedProcess:
    """Run a server program as the postgres user when we are root, else as ourselves."""
    argv = [str(part) for part in command]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", SERVER_USER, "--", *argv]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)


def checked(*command: str | Path) -> None:
    result = as_server_user(*command)
    if result.returncode != 0:
        name = Path(str(command[0])).name
        raise Unavailable(f"{name} failed making the standby pair: {result.stderr.strip()[:300]}")


def answers(port: int, query: str = "SELECT 1") -> object:
    """The server's answer to a query, or None when nothing answers on the port."""
    engine = sa.create_engine(
        url(port), poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 2}
    )
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(query).scalar()
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def make_primary(bin_dir: Path, data: Path, port: int) -> None:
    """initdb with trust logins and replication allowed from 127.0.0.1."""
    checked(bin_dir / "initdb", "-A", "trust", "-U", "postgres", "-D", data)
    with open(data / "pg_hba.conf", "a") as hba:
        hba.write("host replication all 127.0.0.1/32 trust\n")
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n"
            "wal_level = replica\nmax_wal_senders = 5\nfsync = off\n"
        )


def make_standby(bin_dir: Path, data: Path, primary_port: int, port: int) -> None:
    """pg_basebackup -R: a copy that starts as a streaming standby of the primary."""
    checked(
        bin_dir / "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
        "-D", data, "-R", "-X", "stream",
    )  # fmt: skip
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(f"port = {port}\nunix_socket_directories = '{data}'\nhot_standby = on\n")


def start(bin_dir: Path, data: Path, port: int) -> None:
    """pg_ctl start, unless it answers already; wait until it does."""
    if answers(port) is not None:
        return
    log = data.parent / f"{data.name}.log"
    checked(bin_dir / "pg_ctl", "start", "-w", "-D", data, "-l", log)
    for _ in range(STARTUP_SECONDS * 10):
        if answers(port) is not None:
            return
        time.sleep(0.1)
    raise Unavailable(f"the server in {data} did not answer on port {port}; see {log}")


@contextmanager
def locked() -> Iterator[None]:
    """One process at a time makes or starts the pair (xdist workers share it)."""
    FOLDER.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{FOLDER}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_pair() -> StandbyPair:
    """The running pair: made, or started, as needed; idempotent and shared."""
    primary_port, standby_port = PORTS
    with locked():
        bin_dir = server_programs()
        primary, standby = FOLDER / "primary", FOLDER / "standby"
        if not (primary / "PG_VERSION").exists():
            shutil.rmtree(FOLDER, ignore_errors=True)
            FOLDER.mkdir(parents=True)
            if os.geteuid() == 0:
                user = pwd.getpwnam(SERVER_USER)
                os.chown(FOLDER, user.pw_uid, user.pw_gid)
            make_primary(bin_dir, primary, primary_port)
        start(bin_dir, primary, primary_port)
        if not (standby / "PG_VERSION").exists():
            make_standby(bin_dir, standby, primary_port, standby_port)
        start(bin_dir, standby, standby_port)
        wait_for_streaming(primary_port, standby_port)
    return StandbyPair(url(primary_port), url(standby_port))


def wait_for_streaming(primary_port: int, standby_port: int) -> None:
    """Until the primary sees the standby streaming, and the standby is in recovery."""
    streaming = "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
    for _ in range(STARTUP_SECONDS * 10):
        in_recovery = answers(standby_port, "SELECT pg_is_in_recovery()")
        if in_recovery and answers(primary_port, streaming):
            return
        time.sleep(0.1)
    raise Unavailable(
        f"the standby on port {standby_port} is not streaming from port {primary_port}"
    )


def stop_pair() -> None:
    """Stop both servers, standby first; their folders stay for the next start."""
    bin_dir = server_programs()
    with locked():
        for data in (FOLDER / "standby", FOLDER / "primary"):
            if (data / "postmaster.pid").exists():
                as_server_user(bin_dir / "pg_ctl", "stop", "-m", "fast", "-D", data)


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop_pair()
    else:
        pair = ensure_pair()
        print(pair.primary.render_as_string(hide_password=False))
        print(pair.standby.render_as_string(hide_password=False))
