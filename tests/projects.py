"""Baking the template and running commands inside the baked projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
# Scenario projects, one folder each (see its README.md).
EXAMPLES = ROOT / "tests" / "examples"
# The one source of the migration environment: env.py, its siblings, the revision templates.
MIGRATIONS = ROOT / "{{cookiecutter.project_slug}}" / "migrations"

# Every supported combination of answers we promise works, by a readable id.
OPTION_SETS: dict[str, dict[str, object]] = {
    "default": {},
    "postgresql-async-pyproject": {
        "database": "postgresql",
        "async_driver": True,
        "config_format": "pyproject.toml",
    },
    "mysql": {"database": "mysql"},
    "mysql-async": {"database": "mysql", "async_driver": True, "ci_workflow": False},
    "sqlite-pyproject": {"database": "sqlite", "config_format": "pyproject.toml"},
    "sqlite-async-bare": {
        "database": "sqlite",
        "async_driver": True,
        "example_models": False,
        "ci_workflow": False,
    },
}

ASYNC_DRIVERS = {"postgresql": "asyncpg", "mysql": "aiomysql", "sqlite": "aiosqlite"}


def answers(option_set: str) -> dict[str, object]:
    """The full answers of an option set, with the template's defaults filled in."""
    return {"project_name": "Trading Bot", **OPTION_SETS[option_set]}


def add_example(project: Path, name: str) -> list[Path]:
    """Lay the files of tests/examples/NAME over a project; return the files it added."""
    source = EXAMPLES / name
    added = []
    for path in sorted(source.rglob("*.py")):
        if "__pycache__" not in path.parts:
            target = project / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            added.append(target)
    assert added, f"tests/examples/{name} has no files"
    return added


def url_for_project(url: URL, option_set: str) -> URL:
    """The URL as the baked project would spell it: with its async driver if it has one."""
    if not answers(option_set).get("async_driver"):
        return url
    backend = url.get_backend_name()
    return url.set(drivername=f"{backend}+{ASYNC_DRIVERS[backend]}")


def run(
    project: Path,
    *command: str,
    url: URL | None = None,
    extra_env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command in a baked project, the way its user would, with DATABASE_URL set."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(extra_env or {})
    if url is not None:
        env["DATABASE_URL"] = url.render_as_string(hide_password=False)
    result = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def alembic(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run `alembic ARGS` in a baked project with this interpreter's alembic."""
    return run(project, sys.executable, "-m", "alembic", *args, **kwargs)
