"""Backfill items.counter = counter + 1 in batches of 100, as a data migration would.

The process test_backfill.py kills midway, then runs again to finish the job: every row
must end up changed exactly once.

Usage: python backfill_items.py MIGRATIONS_FOLDER DATABASE_URL PAUSE_SECONDS
"""

import sys

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations


def main(migrations: str, url: str, pause: float) -> None:
    sys.path.insert(0, migrations)  # alembic_env_backfill lives beside env.py
    from alembic_env_backfill import backfill

    items = sa.table("items", sa.column("id", sa.Integer), sa.column("counter", sa.Integer))
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"transaction_per_migration": True})
        # As alembic runs each revision with transaction_per_migration (env.py sets it).
        with Operations.context(context), context.begin_transaction(_per_migration=True):
            backfill(
                items,
                values={"counter": items.c.counter + 1},
                name="test",
                batch_size=100,
                pause=pause,
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
