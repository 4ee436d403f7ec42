"""The drop-in runs on SQLAlchemy 1.4, where many existing repositories live (issue 13).

The package installs neither alembic nor SQLAlchemy, so installing it beside 1.4 moves
neither; where alembic is missing or older than the floor, the command (and env.py) name
the pip command that adds alembic and keeps SQLAlchemy 1.4. And the migration
environment, dropped into a stock `alembic init` project of 1.4-style models
(tests/examples/sqlalchemy14-shop), must do with SQLAlchemy 1.4.54 and alembic 1.16.5
(.venv-sqla14/, see tests/venvs.py) what it does on 2.x: autogenerate, upgrade, check, a
data revision with backfill(), --sql, downgrade.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from alembic_template.project_alembic import OLDEST_ALEMBIC

from .databases import query, table_names, throwaway_database
from .projects import EXAMPLES, MIGRATIONS, ROOT, run
from .test_drop_in import DROP_IN_FILES, configure, drop_in, revision_ids
from .test_tenants import tenants_on
from .venvs import (
    SQLALCHEMY14,
    SQLALCHEMY14_REQUIREMENTS,
    distributions,
    for_sqlalchemy14,
    sqlalchemy14_venv,
    versions,
)

# pip installs from PyPI once per change of the pins: seconds and the network.
pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.xdist_group("sqla14-venv")]

SHOP = EXAMPLES / "sqlalchemy14-shop"
TEMPLATES = sorted(path.name for path in MIGRATIONS.glob("*.mako"))
OLD = "@old.example"
# An alembic older than the package's floor, as an existing repository may have (it runs on
# SQLAlchemy 1.4 and 2.0 alike).
OLDER_ALEMBIC = "1.13.3"
# Two branches from a squashed baseline, for rebase.
OURS_BRANCH, THEIRS_BRANCH = "a14000000001", "b14000000001"

# Appended to shop/models.py: a new table, a new column and a new index on existing ones.
REFUNDS = """

Customer.phone = sa.Column(sa.String(30), nullable=True)
sa.Index("ix_order_lines_sku", OrderLine.__table__.c.sku)


class Refund(Base):
    __tablename__ = "refunds"

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.ForeignKey("orders.id"), nullable=False, index=True)
    amount = sa.Column(sa.Numeric(10, 2), nullable=False, server_default="0")
"""

# The data revision's body, written where data.py.mako leaves its TODOs.
DEACTIVATE = f'''customers = sa.table(
    "customers",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("active", sa.Boolean),
)
old_domain = customers.c.email.like("%{OLD}")


def upgrade() -> None:
    """Customers of the old domain are inactive."""
    backfill(customers, values={{"active": False}}, where=old_domain, batch_size=2)


def downgrade() -> None:
    """They are active again."""
    backfill(customers, values={{"active": True}}, where=old_domain, batch_size=2)
'''


# An application's call of alembic from code on SQLAlchemy 1.4, its engine made the 1.4
# way (no future=True), in config.attributes["connection"].
DOWNGRADE_WITH_LEGACY_ENGINE = """
import os
import sqlalchemy
from alembic import command
from alembic.config import Config

config = Config("alembic.ini")
engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
assert not engine._is_future
config.attributes["connection"] = engine
command.downgrade(config, "-1")
"""


@pytest.fixture(scope="session")
def sqla14() -> Path:
    """The python of .venv-sqla14/."""
    return sqlalchemy14_venv()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built from this checkout."""
    dist = tmp_path_factory.mktemp("dist")
    run(ROOT, sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT))
    (built,) = dist.glob("alembic_template-*.whl")
    return built


def install_beside(directory: Path, *pins: str) -> Path:
    """A new venv holding PINS (SQLAlchemy 1.4.54 and what else): its python."""
    venv = directory / "venv"
    run(directory, sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    pip_install(directory, python, *pins)
    return python


def pip_install(directory: Path, python: Path, *requirements: str) -> None:
    """pip install REQUIREMENTS into PYTHON's venv, with pip's default upgrade strategy."""
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    run(directory, *pip, "--disable-pip-version-check", *requirements)


def advised_requirements(failed: str) -> list[str]:
    """The requirements of the `pip install ...` command that a one-line refusal names."""
    (line,) = failed.strip().splitlines()
    assert line.startswith("FAILED: "), line
    command = line.split("pip install ", 1)[1].split(" (", 1)[0]
    return shlex.split(command)


def test_installing_the_package_alone_keeps_sqlalchemy_14(wheel, tmp_path):
    """A project on SQLAlchemy 1.4 without alembic: `pip install alembic-template` installs
    neither alembic nor another SQLAlchemy; the command then says in one line what to
    install, and that command keeps SQLAlchemy 1.4 and takes alembic 1.19."""
    sqlalchemy = f"SQLAlchemy=={SQLALCHEMY14['SQLAlchemy']}"
    python = install_beside(tmp_path, sqlalchemy)
    pip_install(tmp_path, python, str(wheel))
    installed = distributions(python, tmp_path)
    assert installed["sqlalchemy"] == SQLALCHEMY14["SQLAlchemy"]
    assert "alembic" not in installed

    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(SHOP / "shop", project / "shop")
    init = [str(python), "-m", "alembic_template", "init", "migrations"]
    refused = run(project, *init, check=False)
    assert refused.returncode != 0 and not (project / "migrations").exists()
    assert "alembic is not installed" in refused.stderr and "Traceback" not in refused.stderr
    assert advised_requirements(refused.stderr) == [f"alembic>={OLDEST_ALEMBIC}", sqlalchemy]

    pip_install(tmp_path, python, *advised_requirements(refused.stderr))
    alembic_version, sqlalchemy_version = versions(python, tmp_path)
    assert sqlalchemy_version == SQLALCHEMY14["SQLAlchemy"]
    assert alembic_version.startswith("1.19."), alembic_version
    # The package's own route works there: alembic-template init, autogenerate, upgrade.
    run(project, *init)
    migrate_the_shop(python, project, sa.make_url(f"sqlite:///{tmp_path / 'shop.db'}"))


def test_installing_the_package_into_the_flask_app_on_sqlalchemy_14_moves_nothing(wheel, tmp_path):
    """The environment of issue 13's application: alembic 1.16.5, SQLAlchemy 1.4, Flask 2.2,
    Flask-SQLAlchemy 2.5, Flask-Migrate 4. A plain `pip install alembic-template` changes
    the version of nothing installed there, and Flask-SQLAlchemy 2.5 still imports."""
    python = install_beside(tmp_path, *SQLALCHEMY14_REQUIREMENTS)
    before = distributions(python, tmp_path)
    pip_install(tmp_path, python, str(wheel))
    after = distributions(python, tmp_path)
    assert "alembic-template" in after
    assert {name: after[name] for name in before} == before
    run(tmp_path, str(python), "-c", "import flask_sqlalchemy, flask_migrate")
    listed = run(tmp_path, str(python), "-m", "alembic_template", "list_templates").stdout
    assert "alembic-template" in listed


def test_an_older_alembic_is_kept_and_named_in_one_line(wheel, tmp_path):
    """A project on alembic 1.13 (older than the floor) and SQLAlchemy 1.4: installing the
    package moves neither; the command and the dropped-in env.py each refuse in one line,
    and the command they name upgrades alembic alone, after which env.py runs."""
    sqlalchemy = f"SQLAlchemy=={SQLALCHEMY14['SQLAlchemy']}"
    python = install_beside(tmp_path, sqlalchemy, f"alembic=={OLDER_ALEMBIC}")
    pip_install(tmp_path, python, str(wheel))
    assert versions(python, tmp_path) == (OLDER_ALEMBIC, SQLALCHEMY14["SQLAlchemy"])
    listing = [str(python), "-m", "alembic_template", "list_templates"]
    refused = run(tmp_path, *listing, check=False)
    assert refused.returncode != 0, refused.stdout
    assert f"alembic {OLDER_ALEMBIC} is installed" in refused.stderr
    assert advised_requirements(refused.stderr) == [f"alembic>={OLDEST_ALEMBIC}", sqlalchemy]

    # The drop-in, copied into the project the old alembic made, refuses before it connects.
    project = tmp_path / "project"
    project.mkdir()
    run(project, str(python), "-m", "alembic", "init", "migrations")
    shutil.copytree(SHOP / "shop", project / "shop")
    drop_in(project, DROP_IN_FILES)
    database = tmp_path / "shop.db"
    url = sa.make_url(f"sqlite:///{database}")
    extra = {"ALEMBIC_TARGET_METADATA": "shop.models:metadata"}
    upgrade = [str(python), "-m", "alembic", "upgrade", "head"]
    refused = run(project, *upgrade, url=url, extra_env=extra, check=False)
    # alembic before 1.16 prints FAILED: lines on stdout, later ones on stderr.
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Traceback" not in output, output
    said = f"needs alembic {OLDEST_ALEMBIC} or newer, and alembic {OLDER_ALEMBIC} is installed"
    assert said in output
    assert advised_requirements(output) == [f"alembic>={OLDEST_ALEMBIC}", sqlalchemy]
    assert not database.exists()

    pip_install(tmp_path, python, *advised_requirements(output))
    alembic_version, sqlalchemy_version = versions(python, tmp_path)
    assert sqlalchemy_version == SQLALCHEMY14["SQLAlchemy"]
    assert alembic_version.startswith("1.19."), alembic_version
    run(tmp_path, *listing)
    migrate_the_shop(python, project, url)


def migrate_the_shop(python: Path, project: Path, url: sa.engine.URL) -> None:
    """Autogenerate the shop's first revision, upgrade, and check that nothing is left."""

    def alembic(*args: str) -> str:
        command = [str(python), "-m", "alembic", *args]
        extra = {"ALEMBIC_TARGET_METADATA": "shop.models:metadata"}
        return run(project, *command, url=url, extra_env=extra).stdout

    alembic("revision", "--autogenerate", "-m", "create shop")
    alembic("upgrade", "head")
    assert {"customers", "orders", "order_lines"} <= table_names(url)
    assert "No new upgrade operations detected" in alembic("check")


def shop_project(python: Path, directory: Path) -> Path:
    """A stock `alembic init` project around the shop, with our env.py dropped in."""
    project = directory / "shop-project"
    project.mkdir()
    run(project, str(python), "-m", "alembic", "init", "migrations")
    shutil.copytree(SHOP / "shop", project / "shop")
    drop_in(project, [*DROP_IN_FILES, *TEMPLATES])
    configure(project, "ini")
    ini = project / "alembic.ini"
    ini.write_text(
        ini.read_text().replace("[alembic]\n", "[alembic]\nrevision_environment = true\n", 1)
    )
    return project


def revision_files(project: Path) -> set[Path]:
    return set((project / "migrations" / "versions").glob("*.py"))


@pytest.mark.parametrize(
    ("kind", "driver"),
    [
        ("sqlite", None),
        # An async driver: env.py runs the migrations through asyncio, as on 2.x.
        ("sqlite", "aiosqlite"),
        ("postgresql", None),
        ("mysql", None),
    ],
    ids=["sqlite", "sqlite-aiosqlite", "postgresql", "mysql"],
)
def test_the_drop_in_on_sqlalchemy_14(sqla14, tmp_path, kind, driver):
    project = shop_project(sqla14, tmp_path)
    assert versions(sqla14, project) == (SQLALCHEMY14["alembic"], SQLALCHEMY14["SQLAlchemy"])
    with throwaway_database(kind, tmp_path) as url:
        migrated = for_sqlalchemy14(url)
        if driver:
            migrated = migrated.set(drivername=f"{kind}+{driver}")

        def alembic(*args: str) -> str:
            command = [str(sqla14), "-m", "alembic", *args]
            return run(project, *command, url=migrated).stdout

        # Autogenerate from nothing, on the database it will run on.
        alembic("revision", "--autogenerate", "-m", "create shop")
        (first,) = revision_files(project)
        alembic("upgrade", "head")
        assert {"customers", "orders", "order_lines"} <= table_names(url)
        assert "No new upgrade operations detected" in alembic("check")

        # A data revision from data.py.mako, with backfill() in batches.
        emails = [f"c{n}{OLD if n % 2 else '@new.example'}" for n in range(7)]
        values = ", ".join(f"('{email}')" for email in emails)
        query(url, f"INSERT INTO customers (email) VALUES {values}")
        alembic("-x", "template=data", "revision", "-m", "deactivate old customers")
        (data,) = revision_files(project) - {first}
        text = data.read_text()
        assert "from alembic_env_backfill import backfill" in text
        data.write_text(text[: text.index("\n# TODO")] + "\n" + DEACTIVATE)
        alembic("upgrade", "head")
        active = "SELECT email FROM customers WHERE active ORDER BY email"
        assert [row[0] for row in query(url, active)] == sorted(
            e for e in emails if not e.endswith(OLD)
        )
        sql = alembic("upgrade", f"{revision_ids(first)[0]}:head", "--sql")
        assert "UPDATE customers SET active" in sql and OLD in sql, sql
        # From code, with a 1.4 (legacy, autocommitting) engine handed over, as
        # pytest-alembic and applications do: the backfill batches still commit as planned.
        if driver:  # an async engine is never legacy
            alembic("downgrade", "-1")
        else:
            run(project, str(sqla14), "-c", DOWNGRADE_WITH_LEGACY_ENGINE, url=migrated)
        assert len(query(url, active)) == len(emails)

        # An autogenerate round trip: a new table, and a new column on an existing one;
        # the index on an existing table gets a revision of its own, built by safe_ddl
        # (concurrently on PostgreSQL).
        alembic("upgrade", "head")
        models = project / "shop" / "models.py"
        models.write_text(models.read_text() + REFUNDS)
        before = revision_files(project)
        alembic("revision", "--autogenerate", "-m", "refunds")
        written = "".join(path.read_text() for path in revision_files(project) - before)
        assert "from alembic_env_safe_ddl import create_index" in written
        alembic("upgrade", "head")
        assert "refunds" in table_names(url)
        assert "No new upgrade operations detected" in alembic("check")
        alembic("downgrade", "base")
        assert table_names(url) <= {"alembic_version", "alembic_revision_checksums"}
        alembic("upgrade", "head")
        assert "No new upgrade operations detected" in alembic("check")


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_tenants_the_fleet_and_squash_on_sqlalchemy_14(sqla14, tmp_path, kind):
    """The commands beyond env.py's own on 1.4: -x tenant, `alembic-template fleet` (the
    package run from this checkout) and `alembic-template squash`."""
    project = shop_project(sqla14, tmp_path)
    package = {"PYTHONPATH": str(ROOT / "src")}
    with tenants_on(kind, tmp_path, "acme", "globex") as (url, (acme, globex)):
        migrated = for_sqlalchemy14(url)

        def command(*args: str) -> str:
            return run(project, str(sqla14), *args, url=migrated, extra_env=package).stdout

        def alembic(*args: str) -> str:
            return command("-m", "alembic", *args)

        alembic("-x", f"tenant={acme}", "revision", "--autogenerate", "-m", "create shop")
        (first,) = revision_files(project)
        head = revision_ids(first)[0]
        models = project / "shop" / "models.py"
        models.write_text(models.read_text() + REFUNDS)
        alembic("-x", f"tenant={acme}", "upgrade", "head")
        alembic("-x", f"tenant={acme}", "revision", "--autogenerate", "-m", "refunds")
        tenants = f"{acme},{globex}"
        command("-m", "alembic_template", "fleet", "--tenants", tenants, "upgrade", "head")
        heads = set()
        for tenant in (acme, globex):
            assert {"customers", "orders", "refunds"} <= table_names(url, tenant), tenant
            heads.add(alembic("-x", f"tenant={tenant}", "current").strip())
            assert "No new upgrade" in alembic("-x", f"tenant={tenant}", "check"), tenant
        (at_head,) = heads
        assert at_head.endswith("(head)") and not at_head.startswith(head), at_head

        # Squash: one baseline with head's id, built and compared on scratch databases
        # (on PostgreSQL its enum type is created once, first).
        count = len(revision_files(project))
        assert f"squashed {count} revisions" in command("-m", "alembic_template", "squash")
        (baseline,) = revision_files(project)
        assert revision_ids(baseline)[0] == at_head.split()[0]
        alembic("-x", f"tenant={globex}", "downgrade", "base")
        assert table_names(url, globex) <= {"alembic_version"}
        alembic("-x", f"tenant={globex}", "upgrade", "head")
        assert "No new upgrade" in alembic("-x", f"tenant={globex}", "check")

        # Rebase: two branches from the baseline become one line, ours on top of theirs.
        base = revision_ids(baseline)[0]
        for rev_id in (OURS_BRANCH, THEIRS_BRANCH):
            alembic("revision", "-m", rev_id, "--head", base, "--splice", "--rev-id", rev_id)
        assert sorted(alembic("heads").split()) == ["(head)", "(head)", OURS_BRANCH, THEIRS_BRANCH]
        moved = command("-m", "alembic_template", "rebase", OURS_BRANCH)
        assert f"moved 1 revision onto {THEIRS_BRANCH}" in moved, moved
        assert alembic("heads").split() == [OURS_BRANCH, "(head)"]
        alembic("-x", f"tenant={globex}", "upgrade", "head")
        assert f"{OURS_BRANCH} (head)" in alembic("-x", f"tenant={globex}", "current")
