"""Write the SQL of each revision to its own file, for a linter (squawk, in CI).

    python -m tests.revision_sql build/revision-sql | xargs --no-run-if-empty squawk

Runs `alembic upgrade <previous>:<revision> --sql` for every revision, oldest first, and
prints the path of each file it writes. $DATABASE_URL picks the dialect; nothing connects.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .revisions import PROJECT, revision_scripts


def write_revision_sql(folder: Path) -> list[Path]:
    """One .sql file per revision, numbered in history order; merges have no SQL of their own."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, script in enumerate(revision_scripts(), 1):
        if isinstance(script.down_revision, tuple):
            continue
        span = f"{script.down_revision or 'base'}:{script.revision}"
        command = [sys.executable, "-m", "alembic", "upgrade", span, "--sql"]
        result = subprocess.run(command, cwd=PROJECT, stdout=subprocess.PIPE, text=True)
        if result.returncode:
            raise SystemExit(f"alembic upgrade {span} --sql failed: see its output above")
        path = folder / f"{number:04d}_{script.revision}.sql"
        path.write_text(result.stdout, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    """Write the files into the folder given as the first argument."""
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "build/revision-sql")
    for path in write_revision_sql(folder):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
