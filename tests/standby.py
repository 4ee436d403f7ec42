"""Private primary and replica pairs on this machine, for replica tests: PostgreSQL, MariaDB.

The shared server (TEST_POSTGRESQL_URL) allows no replication connections, so the tests
make a pair of their own: `initdb` in a folder the postgres user owns, `pg_basebackup -R`
from it, both started with `pg_ctl` on ports 5433 and 5434 (TEST_STANDBY_PORTS="P,S" to
change them). The pair outlives the test session, like the other servers: the next
session, or another xdist worker, finds it running and uses it; a file lock lets one
process at a time make or start it. Where PostgreSQL's server programs are not installed
the tests skip, saying so (they fail instead under REQUIRE_TEST_SERVERS=1).

MariaDB likewise (the shared server writes no binary log, so nothing can replicate it):
`mariadb-install-db` once, a copy of that folder for the replica, both `mariadbd` started
as the mysql user on ports 3307 and 3308 (TEST_MARIADB_REPLICA_PORTS="P,R"), the primary
with a binary log, the replica following it from the primary's position at its start.

    python -m tests.standby          # make or start both pairs, print their URLs
    python -m tests.standby stop     # stop all four servers (the folders stay)
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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

FOLDER = Path(os.environ.get("TEST_STANDBY_DIR", "/tmp/alembic-template-standby"))
PORTS = tuple(int(p) for p in os.environ.get("TEST_STANDBY_PORTS", "5433,5434").split(","))
MARIADB_FOLDER = FOLDER.with_name(FOLDER.name + "-mariadb")
MARIADB_PORTS = tuple(
    int(p) for p in os.environ.get("TEST_MARIADB_REPLICA_PORTS", "3307,3308").split(",")
)
MARIADB_USER = "mysql"
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


def mariadb_url(port: int, database: str = "mysql") -> URL:
    return sa.make_url(f"mysql+pymysql://root@127.0.0.1:{port}/{database}")


def mariadb_answers(port: int, query: str = "SELECT 1") -> Any:
    """The first row of a query's answer as a mapping, or None when nothing answers."""
    engine = sa.create_engine(
        mariadb_url(port), poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 2}
    )
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(query).mappings().first()
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def start_mariadb(name: str, port: int, server_id: int) -> None:
    """mariadbd on the folder `name`, with a binary log, unless it answers already."""
    if mariadb_answers(port) is not None:
        return
    folder = MARIADB_FOLDER
    command = ["start-stop-daemon", "--start", "--background", "--pidfile"]
    command += [str(folder / f"{name}.pid"), "--exec", "/usr/sbin/mariadbd", "--"]
    command += [
        "--no-defaults", f"--datadir={folder / name}", f"--port={port}",
        "--bind-address=127.0.0.1", f"--socket={folder / name}.sock",
        f"--pid-file={folder / name}.pid", f"--server-id={server_id}",
        f"--log-bin={folder / name}-bin", "--binlog-format=ROW",
        "--innodb-buffer-pool-size=64M", f"--log-error={folder / name}.err",
        "--skip-name-resolve",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.insert(command.index("--no-defaults") + 1, f"--user={MARIADB_USER}")
    subprocess.run(command, capture_output=True, check=False, timeout=60)
    for _ in range(STARTUP_SECONDS * 10):
        if mariadb_answers(port) is not None:
            return
        time.sleep(0.1)
    raise Unavailable(f"mariadbd in {folder / name} did not answer on port {port}")


def ensure_mariadb_pair() -> tuple[URL, URL]:
    """A private MariaDB primary and its replica, made or started as needed; their URLs."""
    primary_port, replica_port = MARIADB_PORTS
    installer = shutil.which("mariadb-install-db")
    if not installer or not Path("/usr/sbin/mariadbd").exists():
        raise Unavailable("the MariaDB replica tests need mariadbd and mariadb-install-db")
    as_root = os.geteuid() == 0  # then the servers run as the mysql user
    with locked():
        folder = MARIADB_FOLDER
        if not (folder / "replica" / "mysql").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            install = [installer, f"--datadir={folder / 'primary'}"]
            install += ["--auth-root-authentication-method=normal", "--skip-test-db"]
            if as_root:
                user = pwd.getpwnam(MARIADB_USER)
                os.chown(folder, user.pw_uid, user.pw_gid)
                install.append(f"--user={MARIADB_USER}")
            result = subprocess.run(install, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise Unavailable(f"mariadb-install-db failed: {result.stderr.strip()[:300]}")
            # The replica starts as a copy, so it follows from the primary's first position.
            shutil.copytree(folder / "primary", folder / "replica", symlinks=True)
            if as_root:
                subprocess.run(["chown", "-R", MARIADB_USER, str(folder)], check=True)
        start_mariadb("primary", primary_port, 1)
        start_mariadb("replica", replica_port, 2)
        status = mariadb_answers(replica_port, "SHOW REPLICA STATUS")
        if status is None:  # never set up: follow the primary from its first binlog
            execute_autocommit(
                mariadb_url(replica_port),
                f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary_port}, "
                "MASTER_USER='root', MASTER_PASSWORD='', MASTER_LOG_FILE='primary-bin.000001', "
                "MASTER_LOG_POS=4",
                "START REPLICA",
            )
        elif status["Slave_SQL_Running"] != "Yes" or status["Slave_IO_Running"] != "Yes":
            execute_autocommit(mariadb_url(replica_port), "START REPLICA")
    return mariadb_url(primary_port), mariadb_url(replica_port)


def execute_autocommit(url: URL, *statements: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def stop_mariadb_pair() -> None:
    with locked():
        for name in ("replica", "primary"):
            pid_file = MARIADB_FOLDER / f"{name}.pid"
            if pid_file.exists():
                subprocess.run(
                    ["start-stop-daemon", "--stop", "--oknodo", "--retry", "30", "--pidfile",
                     str(pid_file), "--exec", "/usr/sbin/mariadbd"],
                    capture_output=True, check=False,
                )  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop_pair()
        stop_mariadb_pair()
    else:
        for url in (*ensure_pair().on("postgres"), *ensure_mariadb_pair()):
            print(url.render_as_string(hide_password=False))
