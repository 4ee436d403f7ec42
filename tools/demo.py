"""The README's first command: bake the default project, migrate it on SQLite, say what happened.

Run through `python3 tasks.py demo`, which installs what this needs first. The project is
left in build/demo/ (or the directory given as the only argument) to look at; each run
bakes it afresh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "build" / "demo"

STEPS = [
    ("Apply every migration", ["upgrade", "head"]),
    ("Show the database's revision", ["current"]),
    ("Compare the models with the database (no change expected)", ["check"]),
    ("Roll every migration back", ["downgrade", "base"]),
    ("Apply them again", ["upgrade", "head"]),
    ("Write the SQL for review instead of running it", ["upgrade", "head", "--sql"]),
]


def bake(output: Path) -> Path:
    """Bake the template with its default answers into `output`."""
    shutil.rmtree(output, ignore_errors=True)
    project = Path(cookiecutter(str(ROOT), no_input=True, output_dir=str(output)))
    print(f"Baked the default project into {project}:")
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        print(f"  {path.relative_to(project)}")
    return project


def alembic(project: Path, title: str, args: list[str], url: str) -> None:
    """Run one alembic command in the project and show its output, indented."""
    print(f"\n$ alembic {' '.join(args)}    # {title}")
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    lines = (result.stdout + result.stderr).splitlines()
    shown = lines if len(lines) <= 12 else [*lines[:10], f"... ({len(lines) - 10} more lines)"]
    for line in shown:
        print(f"  {line}")
    if result.returncode != 0:
        sys.exit(f"ERROR: alembic {' '.join(args)} failed (exit {result.returncode})")


def main(argv: list[str]) -> None:
    project = bake(Path(argv[0]).resolve() if argv else DEFAULT_OUTPUT)
    database = project / "demo.db"
    url = f"sqlite:///{database}"
    print(f"\nMigrating it on SQLite: DATABASE_URL={url}")
    for title, args in STEPS:
        alembic(project, title, args, url)
    print(f"\nDone: {database} is at head; every step above succeeded.")


if __name__ == "__main__":
    main(sys.argv[1:])
