"""What a fleet of PostgreSQL schema tenants costs, measured on N and scaled to 10,000.

    python3 tasks.py bench tenants [--tenants 1000] [--concurrency 2] [--url postgresql+psycopg://...]

Bakes the default project (three tables, two revisions) and, in a database of its own:

    fleet_upgrade        `alembic-template -x create_tenant=true fleet --tenants ... upgrade
                         head`: N new schemas, each created and upgraded, C at a time
    fleet_rerun_at_head  the same command again: every tenant's revision is read (500 per
                         query) and every one is skipped
    one_tenant_at_head   `alembic -x tenant=t00001 upgrade head` once more, in a process of
                         its own: interpreter, env.py, connection, migration lock, nothing
                         to do (the median of three)
    catalog              rows of pg_class and bytes of the pg_catalog tables the N schemas
                         added, per tenant

Each line gives the measured figure and the same per tenant times 10,000, a linear
extrapolation (the catalog and the fleet's per-tenant work grow with the number of
tenants; nothing here measures 10,000 itself). Without --tenants, N is --rows / 1000
(1,000 by default; tests/test_benchmarks.py's --rows 5000 makes it 5).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from cookiecutter.main import cookiecutter
from harness import arguments, report

ROOT = Path(__file__).resolve().parent.parent
AT_SCALE = 10_000
CATALOG = sa.text(
    "SELECT count(*) AS relations, "
    "(SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
    " WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r') AS bytes "
    "FROM pg_class"
)


def catalog(url: sa.engine.URL) -> tuple[int, int]:
    """(relations in pg_class, bytes of the catalog tables with their indexes)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        row = connection.execute(CATALOG).one()
    engine.dispose()
    return int(row.relations), int(row.bytes)


def timed(project: Path, url: sa.engine.URL, *command: str) -> float:
    """Seconds one command takes in the project, with DATABASE_URL set; it must succeed."""
    env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(
            f"{' '.join(command[2:])} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return seconds


def measure(url: sa.engine.URL, tenants: int, concurrency: int, project: Path) -> None:
    names = ",".join(f"t{number:05d}" for number in range(1, tenants + 1))
    fleet = [sys.executable, "-m", "alembic_template", "-x", "create_tenant=true", "fleet"]
    fleet += ["--tenants", names, "--concurrency", str(concurrency), "upgrade", "head"]
    relations, size = catalog(url)

    seconds = timed(project, url, *fleet)
    per_tenant = seconds / tenants
    report(
        pattern="fleet_upgrade",
        tenants=tenants,
        concurrency=concurrency,
        seconds=f"{seconds:.1f}",
        ms_per_tenant=f"{per_tenant * 1000:.0f}",
        at_10000_tenants_min=f"{per_tenant * AT_SCALE / 60:.1f}",
    )
    relations_after, size_after = catalog(url)

    seconds = timed(project, url, *fleet)
    per_tenant = seconds / tenants
    report(
        pattern="fleet_rerun_at_head",
        tenants=tenants,
        seconds=f"{seconds:.2f}",
        ms_per_tenant=f"{per_tenant * 1000:.1f}",
        at_10000_tenants_s=f"{per_tenant * AT_SCALE:.0f}",
    )

    one = [sys.executable, "-m", "alembic", "-x", "tenant=t00001", "upgrade", "head"]
    seconds = statistics.median(timed(project, url, *one) for _ in range(3))
    report(
        pattern="one_tenant_at_head",
        seconds=f"{seconds:.2f}",
        at_10000_tenants_one_by_one_min=f"{seconds * AT_SCALE / 60:.0f}",
    )

    added_relations = (relations_after - relations) / tenants
    added_bytes = (size_after - size) / tenants
    report(
        pattern="catalog",
        tenants=tenants,
        relations_per_tenant=f"{added_relations:.0f}",
        catalog_kb_per_tenant=f"{added_bytes / 1024:.0f}",
        at_10000_tenants_relations=f"{added_relations * AT_SCALE:.0f}",
        at_10000_tenants_catalog_mb=f"{added_bytes * AT_SCALE / 2**20:.0f}",
    )


def main() -> None:
    options = arguments(__doc__, tenants=0, concurrency=2)
    tenants = options.tenants or max(options.rows // 1000, 1)
    admin = sa.make_url(options.url)
    name = f"bench_tenants_{os.getpid()}"
    engine = sa.create_engine(admin, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            cookiecutter(str(ROOT), no_input=True, output_dir=folder)
            project = Path(folder) / "trading-bot"
            measure(admin.set(database=name), tenants, options.concurrency, project)
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        engine.dispose()


if __name__ == "__main__":
    main()
