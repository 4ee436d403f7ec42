"""The README's benchmarks run (`python3 tasks.py bench NAME`), on a small table.

Their figures are not checked here (speed belongs to the benchmarks, side by side in one
run); that each one runs to its last line, every row changed once, is.
"""

from __future__ import annotations

import sys

import pytest

from .databases import throwaway_database
from .projects import ROOT, run

# suite takes history lengths, not rows: it has its own test below.
NOT_ON_ROWS = ("harness", "suite")
BENCHMARKS = sorted(
    path for path in (ROOT / "benchmarks").glob("*.py") if path.stem not in NOT_ON_ROWS
)

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]


@pytest.mark.parametrize("benchmark", BENCHMARKS, ids=[path.stem for path in BENCHMARKS])
def test_a_benchmark_runs_to_its_end(benchmark, tmp_path):
    with throwaway_database("postgresql", tmp_path) as url:
        result = run(
            ROOT,
            sys.executable,
            str(benchmark),
            "--rows",
            "5000",
            "--url",
            url.render_as_string(hide_password=False),
        )
    lines = [line for line in result.stdout.splitlines() if line.startswith("pattern=")]
    assert lines, result.stdout + result.stderr
    wrong = [line for line in lines if "rows_wrong=" in line and "naive_loop" not in line]
    assert all(line.split("rows_wrong=")[1].split()[0] == "0" for line in wrong), lines


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_suite_benchmark_runs_to_its_end(database, tmp_path):
    with throwaway_database("postgresql", tmp_path) as url:
        result = run(
            ROOT,
            sys.executable,
            str(ROOT / "benchmarks" / "suite.py"),
            *("--revisions", "3,6", "--database", database),
            *("--url", url.render_as_string(hide_password=False)),
        )
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("pattern=")]
    assert [fields[2] for fields in lines] == ["revisions=3", "revisions=6"], result.stdout
    assert all(fields[1] == f"database={database}" for fields in lines), result.stdout
    assert all(fields[-1].startswith("ratio=") for fields in lines), result.stdout
    assert f"growth database={database} revisions=3,6 " in result.stdout, result.stdout
