"""The README's first command bakes the default project and migrates it on SQLite."""

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

DEMO = Path(__file__).resolve().parent.parent / "tools" / "demo.py"


@pytest.mark.slow
def test_demo_bakes_migrates_and_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, str(DEMO), str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("$ alembic upgrade head", "$ alembic downgrade base", "$ alembic check"):
        assert step in result.stdout
    assert "Running upgrade  -> " in result.stdout
    assert "No new upgrade operations detected." in result.stdout
    database = tmp_path / "trading-bot" / "demo.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert {"users", "user_preferences", "targets", "alembic_version"} <= tables
