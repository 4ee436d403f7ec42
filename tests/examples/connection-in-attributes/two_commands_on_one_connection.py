"""Run two alembic commands on one connection handed over in config.attributes.

A long-lived connection (an application's, a test's) must not gather listeners from each
command env.py runs on it. Prints how many after_cursor_execute listeners the connection
has before, after one command and after two.

Usage: python two_commands_on_one_connection.py DATABASE_URL
"""

import sys

import sqlalchemy as sa
from alembic import command
from alembic.config import Config


def main(url: str) -> None:
    config = Config("alembic.ini")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        counts = [len(connection.dispatch.after_cursor_execute)]
        command.upgrade(config, "head")
        counts.append(len(connection.dispatch.after_cursor_execute))
        command.downgrade(config, "base")
        counts.append(len(connection.dispatch.after_cursor_execute))
        connection.commit()
    print(counts)


if __name__ == "__main__":
    main(sys.argv[1])
