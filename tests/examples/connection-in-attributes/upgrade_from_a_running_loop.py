"""Call alembic from inside a running event loop with an AsyncEngine handed over.

env.py cannot start a loop of its own there: it must refuse in one line saying what to do
instead (run_sync, or a thread). Prints the CommandError's message.

Usage: python upgrade_from_a_running_loop.py ASYNC_DATABASE_URL
"""

import asyncio
import sys

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.ext.asyncio import create_async_engine


async def main(url: str) -> None:
    config = Config("alembic.ini")
    config.attributes["connection"] = create_async_engine(url)
    try:
        command.upgrade(config, "head")
    except CommandError as error:
        print(error)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
