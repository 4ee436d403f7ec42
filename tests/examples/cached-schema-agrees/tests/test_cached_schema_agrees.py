"""The walk's cached schema reads agree with database.schema_lines at every step.

Laid over a project by the template's tests: each revision is upgraded, downgraded and
upgraded again, and after each step the schema read through cached_schema.py (each table
read again only once its definition changed) must equal a full read.
"""

from __future__ import annotations

from pytest_alembic import MigrationContext
from sqlalchemy.engine import Engine

from .cached_schema import CachedSchema
from .database import schema_lines
from .revisions import prerequisites, revision_scripts


def test_cached_schema_lines_agree_at_every_step(
    alembic_runner: MigrationContext, alembic_engine: Engine
) -> None:
    cached = CachedSchema()
    for script in revision_scripts():
        back = prerequisites(script)[0] if script.down_revision else "base"
        for command, target in (("upgrade", script.revision), ("downgrade", back)) * 2:
            getattr(alembic_runner.command_executor, command)(target)
            full = schema_lines(alembic_engine)
            assert cached.schema_lines(alembic_engine) == full, f"after {command} {target}"
        alembic_runner.command_executor.upgrade(script.revision)
    # The cache answered: MySQL alone reads every table each time.
    assert cached.tables or alembic_engine.dialect.name == "mysql"
