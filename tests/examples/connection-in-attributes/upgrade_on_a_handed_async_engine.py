"""Upgrade a project to head with an AsyncEngine handed to alembic in config.attributes.

env.py must open an async connection of its own from that engine, migrate through it and
leave the engine to its owner, which can still use it. Prints the tables.

Usage: python upgrade_on_a_handed_async_engine.py ASYNC_DATABASE_URL
"""

import asyncio
import sys

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine


async def tables(engine) -> list[str]:
    async with engine.connect() as connection:  # still the caller's, and usable
        return await connection.run_sync(lambda sync: sorted(sa.inspect(sync).get_table_names()))


def main(url: str) -> None:
    config = Config("alembic.ini")
    engine = create_async_engine(url)
    config.attributes["connection"] = engine
    command.upgrade(config, "head")
    print(asyncio.run(tables(engine)))


if __name__ == "__main__":
    main(sys.argv[1])
