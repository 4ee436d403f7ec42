"""Migrate through a pooled Engine handed over in config.attributes, then migrate again
from a session of env.py's own: the pooled connection, still alive in the caller's pool,
must not keep the migration lock, whether its command failed or succeeded.

Prints one line per step: the step, then "ok" or the error's first line.

Usage: python upgrade_on_a_pooled_engine.py DATABASE_URL
"""

import os
import sys

import sqlalchemy as sa
from alembic import command
from alembic.config import Config


def step(name: str, config: Config, target: str) -> None:
    try:
        command.upgrade(config, target)
        print(f"{name}: ok", flush=True)
    except Exception as error:  # printed for the test to read
        print(f"{name}: {str(error).splitlines()[0]}", flush=True)


def main(url: str) -> None:
    engine = sa.create_engine(url)  # a QueuePool: the connection stays open when returned
    handed = Config("alembic.ini")
    handed.attributes["connection"] = engine
    step("failing on the pooled engine", handed, "ffffffffffff")
    step("succeeding on the pooled engine", handed, "aaaa00000001")
    print(f"pooled connections: {engine.pool.checkedin()}", flush=True)
    # env.py's own session, which must get the lock within 2 s.
    os.environ.update(DATABASE_URL=url, ALEMBIC_MIGRATION_LOCK_TIMEOUT="2s")
    step("on a session of its own", Config("alembic.ini"), "head")


if __name__ == "__main__":
    main(sys.argv[1])
