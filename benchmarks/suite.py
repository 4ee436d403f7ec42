"""The generated suite's per-revision tests against pytest-alembic's walk, on long histories.

    python3 tasks.py bench suite [--revisions 100,200] [--database sqlite|postgresql]
                                 [--url postgresql+psycopg://...] [--pairs 1]

A project is baked without example revisions and given a history of N revisions (add a
table, add a column, index it, in turn: tests/long_history.py). In the same run, its own
pytest then times, one after the other:

- walk: pytest-alembic's built-in test_upgrade and test_up_down_consistency, which walk the
  history once up, once down and once up again (O(N));
- suite: the generated per-revision tests, test_stairway and test_downgrade_leaves_no_trace
  (2 N tests).

Both run on SQLite, or with --database postgresql on the server of --url (default:
$TEST_POSTGRESQL_URL, else the local test server), each in a fresh pytest process, walk
then suite, --pairs times in turn. One line per history length, with the medians over the
pairs: wall-clock seconds, CPU seconds of the pytest process (less disturbed by other load
on the machine; the database server's own work is not in them) and the ratio suite/walk;
then one line with the wall-clock seconds per revision at each length:

    pattern=suite database=<db> revisions=<n> suite_seconds=<s> walk_seconds=<w>
        suite_cpu_seconds=<c> walk_cpu_seconds=<d> ratio=<s/w>
    growth database=<db> revisions=<n1>,<n2> suite_seconds_per_revision=... walk_...=...
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
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
    parser.add_argument("--pairs", type=int, default=1, help="runs of each, taken in turn")
    return parser.parse_args()


def timed_pytest(project: Path, selection: str, expected: int, server: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one pytest process running the selected tests.

    The tests must all pass: the figures of a failing run would mean nothing.
    """
    env = {**os.environ, "TEST_DATABASE_URL": server, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", selection]
    command.append("tests/test_migrations.py")
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in ("ru_utime", "ru_stime"))
    if result.returncode != 0 or f"{expected} passed" not in result.stdout:
        sys.exit(f"{selection}: expected {expected} passed\n{result.stdout}{result.stderr}")
    return seconds, cpu


def measure(project: Path, count: int, server: str, pairs: int) -> dict[str, float]:
    """The medians over `pairs` runs of the walk and the suite, taken in turn."""
    runs: dict[str, list[float]] = {"walk": [], "suite": [], "walk_cpu": [], "suite_cpu": []}
    ratios = []
    for _ in range(pairs):
        walk, walk_cpu = timed_pytest(project, WALK, 2, server)
        suite, suite_cpu = timed_pytest(project, SUITE, 2 * count, server)
        for name, value in zip(runs, (walk, suite, walk_cpu, suite_cpu), strict=True):
            runs[name].append(value)
        ratios.append(suite / walk)
    medians = {name: statistics.median(values) for name, values in runs.items()}
    return {**medians, "ratio": statistics.median(ratios)}


def main() -> None:
    options = arguments()
    lengths = [int(number) for number in options.revisions.split(",")]
    server = options.url if options.database == "postgresql" else ""
    per_revision: dict[str, list[str]] = {"suite": [], "walk": []}
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
        baked = cookiecutter(str(ROOT), no_input=True, output_dir=scratch, extra_context=ANSWERS)
        for count in lengths:
            project = Path(scratch) / f"history-{count}"
            shutil.copytree(Path(baked), project)
            write_history(project / "migrations" / "versions", count)
            figures = measure(project, count, server, options.pairs)
            report(
                pattern="suite",
                database=options.database,
                revisions=count,
                suite_seconds=f"{figures['suite']:.1f}",
                walk_seconds=f"{figures['walk']:.1f}",
                suite_cpu_seconds=f"{figures['suite_cpu']:.1f}",
                walk_cpu_seconds=f"{figures['walk_cpu']:.1f}",
                ratio=f"{figures['ratio']:.2f}",
            )
            for side, values in per_revision.items():
                values.append(f"{figures[side] / count:.3f}")
    print(
        f"growth database={options.database} revisions={','.join(map(str, lengths))} "
        f"suite_seconds_per_revision={','.join(per_revision['suite'])} "
        f"walk_seconds_per_revision={','.join(per_revision['walk'])}",
        flush=True,
    )


if __name__ == "__main__":
    main()
