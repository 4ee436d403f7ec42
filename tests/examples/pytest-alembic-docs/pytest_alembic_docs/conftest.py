"""pytest-alembic's documented fixtures, as its docs write them: nothing of this project's.

`alembic_engine` returns an Engine, which pytest-alembic hands to env.py in
config.attributes["connection"]; the experimental no-trace test hands over a wrapper of
its own connection instead. tests/test_handover.py sets ENGINE_URL to a throwaway database.
"""

import os

import pytest
import sqlalchemy as sa


@pytest.fixture
def alembic_engine():
    engine = sa.create_engine(os.environ["ENGINE_URL"])
    yield engine
    engine.dispose()
