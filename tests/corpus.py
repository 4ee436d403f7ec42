"""The corpus of model sets (tests/examples/corpus) and a project to migrate them in.

Helpers of tests/test_corpus.py and tests/test_enums.py: each set's manifest and models,
what a database holds, and Case, one set on one database with failures that say where.
The `corpus_case` fixture (tests/conftest.py) makes a Case.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from .projects import EXAMPLES, alembic

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CORPUS = EXAMPLES / "corpus"
CLEAN = "No new upgrade operations detected"


@cache
def manifest(name: str) -> dict[str, Any]:
    """A set's manifest.toml: its package, its databases, the kinds of change it makes."""
    return tomllib.loads((CORPUS / name / "manifest.toml").read_text(encoding="utf-8"))


SETS = sorted(path.parent.name for path in CORPUS.glob("*/manifest.toml"))
CASES = [
    pytest.param(name, kind, id=f"{name}-on-{kind}")
    for name in SETS
    for kind in manifest(name)["databases"]
]


@cache
def load(path: Path) -> ModuleType:
    """A corpus module loaded from its file, under a name of its own (both variants share
    their package name)."""
    name = "corpus_" + "_".join(path.relative_to(CORPUS).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # declarative resolves its annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def models(name: str, variant: str = "") -> sa.MetaData:
    """The MetaData of a set, as first written or (variant "changed") after the change."""
    package = manifest(name)["package"]
    return load(CORPUS / name / variant / package / "__init__.py").metadata


def leftovers(url: URL) -> list[str]:
    """Every object of the database but alembic_version and its key, read from the catalog."""
    queries = {
        "sqlite": "SELECT type, name FROM sqlite_master"
        " WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'alembic_version'",
        "postgresql": "SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'i' THEN 'index'"
        " WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' ELSE 'relkind ' || c.relkind::text END,"
        " c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema()"
        " AND c.relname NOT IN ('alembic_version', 'alembic_version_pkc')"
        " UNION ALL SELECT CASE t.typtype WHEN 'e' THEN 'enum type' ELSE 'domain' END,"
        " t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
        " WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd')",
        "mysql": "SELECT replace(lower(table_type), 'base ', ''), table_name"
        " FROM information_schema.tables"
        " WHERE table_schema = DATABASE() AND table_name <> 'alembic_version'"
        " UNION ALL SELECT DISTINCT 'index', concat(index_name, ' on ', table_name)"
        " FROM information_schema.statistics"
        " WHERE table_schema = DATABASE() AND table_name <> 'alembic_version'",
    }
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            query = queries[connection.dialect.name]
            return sorted(f"{kind} {name}" for kind, name in connection.exec_driver_sql(query))
    finally:
        engine.dispose()


def rows_of(url: URL, metadata: sa.MetaData, tables: list[str]) -> dict[str, list[tuple]]:
    """The rows of some tables, every column the given models know, in key order."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(
                        sa.select(*table.c).order_by(*table.primary_key.columns)
                    )
                ]
                for name, table in ((name, metadata.tables[name]) for name in tables)
            }
    finally:
        engine.dispose()


def insert(url: URL, metadata: sa.MetaData, rows: dict[str, list[dict]], keep: bool) -> None:
    """Insert rows table by table through the models; commit them, or roll them back."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            for table, values in rows.items():
                for row in values:
                    connection.execute(metadata.tables[table].insert(), row)
            connection.commit() if keep else connection.rollback()
    finally:
        engine.dispose()


@dataclass
class Case:
    """One set on one database: alembic in its project, and failures that say where."""

    name: str
    kind: str
    project: Path
    url: URL
    step: str = ""
    variant: str = ""
    written: list[Path] = field(default_factory=list)

    def at(self, step: str) -> None:
        self.step = step

    def rows_are(self, kept: dict[str, list[tuple]], metadata: sa.MetaData) -> None:
        """The rows put in before the change are all there, as they were."""
        now = rows_of(self.url, metadata, list(kept))
        changed = [
            f"{table}: was {kept[table]}\n{' ' * len(table)}  now {now[table]}"
            for table in kept
            if now[table] != kept[table]
        ]
        if changed:
            self.fail("rows changed", "\n".join(changed))

    def where(self) -> str:
        return f"{self.name} on {self.kind}, step {self.step!r}"

    def fail(self, what: str, detail: str = "") -> None:
        pytest.fail(f"{self.where()}: {what}" + (f"\n{detail.rstrip()}" if detail else ""))

    def environment(self) -> dict[str, str]:
        """target_metadata on the set's current variant, its folder on PYTHONPATH."""
        folder = CORPUS / self.name / self.variant
        return {
            "ALEMBIC_TARGET_METADATA": f"{manifest(self.name)['package']}:metadata",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(folder), os.environ.get("PYTHONPATH")])
            ),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return alembic(
            self.project, *args, url=self.url, extra_env=self.environment(), check=False
        )

    def alembic(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run alembic; fail with its output and this pass's revisions when it fails."""
        result = self.run(*args)
        if result.returncode != 0:
            self.fail(
                f"alembic {' '.join(args)} exited {result.returncode}",
                f"{output(result)}\n{self.revisions()}",
            )
        return result

    def revisions(self) -> str:
        """The revisions autogenerate wrote in this pass, to show beside a failure."""
        return "".join(f"--- {path.name}\n{path.read_text()}" for path in self.written)

    def autogenerate(self, message: str) -> None:
        """Write the revisions of a change; fail when alembic sees none."""
        versions = self.project / "migrations" / "versions"
        before = set(versions.glob("*.py"))
        result = self.alembic("revision", "--autogenerate", "-m", message)
        self.written = sorted(set(versions.glob("*.py")) - before)
        if not self.written:
            self.fail("autogenerate wrote no revision", output(result))
        if self.kind == "mysql":
            for path in self.written:
                accept_table_copies(path)

    def check_is_clean(self) -> None:
        """`alembic check` finds nothing to do; its complaint is the failure message."""
        result = self.run("check")
        if result.returncode != 0 or CLEAN not in result.stdout:
            self.fail("alembic check is not clean", output(result))


# The corpus checks that rows survive a change, not how MySQL makes it: its tables hold a
# few rows, so its revisions accept the table copies MySQL makes for a type change, which
# env.py's online clause would otherwise have the server refuse (alembic_env_mysql_online.py).
ACCEPT_COPIES = '@allow_table_copy("the corpus tables hold a few rows")\n'


def accept_table_copies(path: Path) -> None:
    """Decorate an autogenerated revision's upgrade() and downgrade() with
    allow_table_copy(), as a reviewer accepting the copies would."""
    accepted = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith(("def upgrade()", "def downgrade()")):
            accepted.append(ACCEPT_COPIES)
        accepted.append(line)
        if line.startswith("from alembic import op"):
            accepted.append("from alembic_env_safe_ddl import allow_table_copy\n")
    path.write_text("".join(accepted), encoding="utf-8")


def output(result: subprocess.CompletedProcess[str]) -> str:
    """What alembic printed, without the INFO lines that only say it connected."""
    lines = (result.stdout + result.stderr).splitlines()
    return "\n".join(line for line in lines if not line.startswith("INFO  [alembic.runtime"))
