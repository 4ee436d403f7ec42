"""A small harness for testing a data migration with rows in the tables.

    def test_backfill_keeps_every_user(data_migration):
        migration = data_migration("3f2a1b4c5d6e")  # the database is now just before it
        migration.seed("users", [{"id": "u1", "telegram_id": 1}])
        migration.upgrade()
        assert migration.rows("user_preferences") == [{"id": "pref_u1", ...}]
        migration.downgrade()
        assert migration.rows("user_preferences") == []

Rows go in and come out as the tables stand at that moment, reflected from the database:
never through the application's models, which describe the tables at the head.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pytest_alembic import MigrationContext
from sqlalchemy.engine import Engine


class DataMigration:
    """One revision under test, with the database migrated to just before it."""

    def __init__(self, runner: MigrationContext, engine: Engine, revision: str) -> None:
        self.runner = runner
        self.engine = engine
        self.revision = revision
        runner.migrate_up_before(revision)

    def seed(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows into a table as it stands now."""
        self.runner.insert_into(table, rows)

    def upgrade(self) -> None:
        """Apply the revision under test, and nothing after it."""
        self.runner.migrate_up_one()
        assert self.runner.current == self.revision, f"upgrade stopped at {self.runner.current}"

    def downgrade(self) -> None:
        """Undo the revision under test."""
        self.runner.migrate_down_one()

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of a table as it stands now, in primary key order."""
        with self.engine.connect() as connection:
            reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
            query = sa.select(reflected).order_by(*reflected.primary_key.columns)
            return [dict(row) for row in connection.execute(query).mappings()]
