"""The generated suite's per-revision tests against pytest-alembic's walk, on long histories.

    python3 tasks.py bench suite [--revisions 100,200] [--database sqlite|postgresql]
                                 [--url postgresql+psycopg://...]

A project is baked without example revisions and given a history of N revisions (add a
table, add a column, index it, in turn: tests/long_history.py). In the same run, its own
pytest then times, one after the other:

- suite: the generated per-revision tests, test_stairway and test_downgrade_leaves_no_trace
  (2 N tests);
- walk: pytest-alembic's built-in test_upgrade and test_up_down_consistency, which walk the
  history once up, once down and once up again (O(N)).

Both run on SQLite, or with --database postgresql on the server of --url (default:
$TEST_POSTGRESQL_URL, else the local test server), each in a fresh pytest process. One
line per history length, then one line with the seconds per revision at each length:

    pattern=suite database=<db> revisions=<n> suite_seconds=<s> walk_seconds=<w> ratio=<s/w>
    growth database=<db> revisions=<n1>,<n2> suite_seconds_per_revision=... walk_...=...
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter
from harness import DEFAULT_URL, report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# isort: split
from tests.long_history import write_history  # noqa: E402

ANSWERS = {"project_name": "Suite Bench", "example_models": False, "ci_workflow": False}
SUITE = "test_stairway or test_downgrade_leaves_no_trace"
WALK = "test_upgrade or test_up_down_consistency"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", default="100,200", help="history lengths, e.g. 20,40")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default=os.environ.get("TEST_POSTGRESQL_URL") or DEFAULT_URL)
    return parser.parse_args()


def timed_pytest(project: Path, selection: str, expected: int, server: str) -> float:
    """Seconds one pytest process takes to run the selected tests, which must all pass."""
    env = {**os.environ, "TEST_DATABASE_URL": server, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", selection]
    started = time.perf_counter()
    result = subprocess.run(
        [*command, "tests/test_migrations.py"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0 or f"{expected} passed" not in result.stdout:
        sys.exit(f"{selection}: expected {expected} passed\n{result.stdout}{result.stderr}")
    return seconds


def main() -> None:
    options = arguments()
    lengths = [int(number) for number in options.revisions.split(",")]
    server = options.url if options.database == "postgresql" else ""
    per_revision: dict[str, list[str]] = {"suite": [], "walk": []}
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
        baked = Path(
            cookiecutter(str(ROOT), no_input=True, output_dir=scratch, extra_context=ANSWERS)
        )
        for count in lengths:
            project = Path(scratch) / f"history-{count}"
            shutil.copytree(Path(baked), project)
            write_history(project / "migrations" / "versions", count)
            walk = timed_pytest(project, WALK, 2, server)
            suite = timed_pytest(project, SUITE, 2 * count, server)
            report(
                pattern="suite",
                database=options.database,
                revisions=count,
                suite_seconds=f"{suite:.1f}",
                walk_seconds=f"{walk:.1f}",
                ratio=f"{suite / walk:.2f}",
            )
            per_revision["suite"].append(f"{suite / count:.3f}")
            per_revision["walk"].append(f"{walk / count:.3f}")
    print(
        f"growth database={options.database} revisions={','.join(map(str, lengths))} "
        f"suite_seconds_per_revision={','.join(per_revision['suite'])} "
        f"walk_seconds_per_revision={','.join(per_revision['walk'])}",
        flush=True,
    )


if __name__ == "__main__":
    main()
