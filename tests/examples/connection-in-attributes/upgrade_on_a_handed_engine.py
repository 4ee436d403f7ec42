"""Upgrade a project to head with an Engine handed to alembic in config.attributes.

Run inside a baked project, as pytest-alembic's documented alembic_engine fixture does:
env.py must open a connection of its own from that engine, migrate, close that
connection, and leave the engine itself to its owner. Prints the tables, then the
number of connections still checked out of the engine's pool.

Usage: python upgrade_on_a_handed_engine.py DATABASE_URL
"""

import sys

import sqlalchemy as sa
from alembic import command
from alembic.config import Config


def main(url: str) -> None:
    config = Config("alembic.ini")
    engine = sa.create_engine(url)
    config.attributes["connection"] = engine
    command.upgrade(config, "head")
    with engine.connect() as connection:  # still the caller's, and usable
        print(sorted(sa.inspect(connection).get_table_names()))
    print(engine.pool.checkedout())


if __name__ == "__main__":
    main(sys.argv[1])
