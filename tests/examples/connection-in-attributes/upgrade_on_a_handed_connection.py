"""Upgrade a project to head on a connection handed to alembic in config.attributes.

Run inside a baked project, as an application or a test harness would call alembic:
env.py must migrate that connection and not connect through DATABASE_URL. Prints the
tables the connection sees afterwards.

Usage: python upgrade_on_a_handed_connection.py DATABASE_URL
"""

import sys

import sqlalchemy as sa
from alembic import command
from alembic.config import Config


def main(url: str) -> None:
    config = Config("alembic.ini")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        print(sorted(sa.inspect(connection).get_table_names()))


if __name__ == "__main__":
    main(sys.argv[1])
