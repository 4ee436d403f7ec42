"""rebase moves one branch on top of the other head (migrations/alembic_env_history.py).

The scenario is tests/examples/two-branches: our branch (7a0000000001, 7a0000000002, on the
audit table) and theirs (7b0000000001, on users), both from the example head 0002b8c4d2e9.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import fingerprint
from .projects import add_example, alembic, run
from .test_squash import (
    ROUTES,
    generated_route,
    history_module,
    module_value,
    one_line,
    package_route,
)

PREFERENCES = "0002b8c4d2e9"
OURS, OURS_FIRST, THEIRS = "7a0000000002", "7a0000000001", "7b0000000001"


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


def file_of(project: Path, revision: str) -> Path:
    (path,) = versions(project).glob(f"*_{revision}_*.py")
    return path


def heads(project: Path) -> str:
    return alembic(project, "heads").stdout


@pytest.mark.slow
def test_rebase_makes_one_head_that_upgrades_from_base_and_from_the_other_head(
    project_copy, database_url
):
    project = project_copy("default")
    add_example(project, "two-branches")
    # A shared database already has their branch.
    alembic(project, "upgrade", THEIRS, url=database_url)
    untouched = file_of(project, OURS).read_text()

    result = generated_route(project, "rebase", OURS)

    assert f"moved 2 revisions onto {THEIRS}" in result.stdout
    assert heads(project).split() == [OURS, "(head)"]
    moved = file_of(project, OURS_FIRST)
    assert module_value(moved, "down_revision") == THEIRS
    assert module_value(moved, "revision") == OURS_FIRST
    assert f"Revises: {THEIRS}\n" in moved.read_text()
    assert file_of(project, OURS).read_text() == untouched  # only the first one moves
    upgraded = alembic(project, "upgrade", "head", url=database_url)
    assert f"Running upgrade {THEIRS} -> {OURS_FIRST}" in upgraded.stderr
    assert f"{OURS} (head)" in alembic(project, "current", url=database_url).stdout
    # From nothing, through every revision, and back.
    alembic(project, "downgrade", "base", url=database_url)
    fresh = alembic(project, "upgrade", "head", url=database_url)
    assert f"Running upgrade {PREFERENCES} -> {THEIRS}" in fresh.stderr


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
def test_a_table_both_branches_touch_is_refused_unless_forced(project_copy, route):
    project = project_copy("default")
    add_example(project, "two-branches")
    add_example(project, "two-branches-shared-table")  # our branch now touches users too
    before = fingerprint(versions(project))
    line = one_line(route(project, "rebase", "7a0000000003", check=False))
    assert line == (
        "FAILED: both branches touch table users: rebase with --force if the changes are "
        "independent, or merge the heads (alembic merge heads)"
    )
    assert fingerprint(versions(project)) == before

    route(project, "rebase", "7a0000000003", "--force")
    assert heads(project).split() == ["7a0000000003", "(head)"]
    assert module_value(file_of(project, OURS_FIRST), "down_revision") == THEIRS


def bad_rebase(project: Path, route, *args: str) -> str:
    before = fingerprint(versions(project))
    line = one_line(route(project, "rebase", *args, check=False))
    assert fingerprint(versions(project)) == before
    return line


@pytest.mark.parametrize("route", ROUTES)
def test_a_revision_that_is_not_a_head_is_one_line(project_copy, route):
    project = project_copy("default")
    add_example(project, "two-branches")
    assert bad_rebase(project, route, OURS_FIRST) == (
        f"FAILED: {OURS_FIRST} is not a head: rebase moves a branch by its head, one of "
        f"{OURS}, {THEIRS}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
def test_no_second_head_is_one_line(project_copy, route):
    project = project_copy("default")
    assert bad_rebase(project, route, PREFERENCES) == (
        f"FAILED: rebase needs exactly two heads, and the history has 1 ({PREFERENCES}): "
        "there is nothing to rebase onto"
    )


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
def test_an_unknown_revision_is_one_line(project_copy, route):
    project = project_copy("default")
    add_example(project, "two-branches")
    line = bad_rebase(project, route, "feedbeef")
    assert line.startswith("FAILED: ") and "'feedbeef'" in line
    assert line.endswith("give a head's id, as alembic heads shows")


@pytest.mark.slow
def test_three_heads_is_one_line(project_copy):
    project = project_copy("default")
    add_example(project, "two-branches")
    add_example(project, "second-head")  # bbbb00000001, from the initial revision
    assert bad_rebase(project, package_route, OURS) == (
        "FAILED: rebase needs exactly two heads, and the history has 3 "
        f"({OURS}, {THEIRS}, bbbb00000001)"
    )


def test_the_tables_a_revision_touches_are_read_from_its_calls_and_sql(tmp_path):
    history = history_module()
    revision = tmp_path / "r.py"
    revision.write_text(
        '"""Docstrings name no table: DROP TABLE ghosts."""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n"
        "def upgrade():\n"
        '    op.create_table("a", sa.Column("id", sa.Integer))\n'
        '    op.create_index("ix", "b", ["x"])\n'
        '    op.create_foreign_key("fk", "c", "d", ["x"], ["y"])\n'
        '    with op.batch_alter_table("e") as batch:\n'
        '        batch.drop_column("x")\n'
        '    op.drop_index("ix2", table_name="f")\n'
        '    op.execute("UPDATE g SET x = 1")\n'
        '    op.execute("insert into h (x) select x from i")\n'
        '    items = sa.table("j", sa.column("x"))\n'
    )

    class Revision:
        path = str(revision)

    assert history.tables_touched([Revision()]) == set("abcdefghij")


def test_rebase_keeps_everything_but_the_down_revision(tmp_path):
    path = tmp_path / "r.py"
    path.write_text(
        '"""Message\n\nRevision ID: 1\nRevises: 0\nCreate Date: now\n"""\n'
        'revision: str = "1"\n'
        "down_revision: str | tuple[str, ...] | None = (\n    '0'\n)  # a comment\n"
        "x = 'Revises: stays'\n"
    )
    history_module().rewrite_down_revision(path, "9")
    assert path.read_text() == (
        '"""Message\n\nRevision ID: 1\nRevises: 9\nCreate Date: now\n"""\n'
        'revision: str = "1"\n'
        'down_revision: str | tuple[str, ...] | None = "9"  # a comment\n'
        "x = 'Revises: stays'\n"
    )


@pytest.mark.slow
def test_the_readme_commands_run_as_written(project_copy, tmp_path):
    """The generated README's "Rebase and squash" block, run through bash as a person would."""
    project = project_copy("default")
    add_example(project, "two-branches")
    readme = (project / "README.md").read_text()
    section = readme.split("## Rebase and squash\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    rebase_line, squash_line = [line for line in block.splitlines() if line.startswith("python")]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    url = sa.make_url(f"sqlite:///{tmp_path / 'app.db'}")

    def shell(command: str) -> subprocess.CompletedProcess[str]:
        return run(project, "bash", "-c", command, url=url, extra_env={"PATH": path})

    shell(rebase_line.replace("MY_HEAD", OURS))
    assert heads(project).split() == [OURS, "(head)"]
    shell(squash_line)
    (baseline,) = versions(project).glob("*.py")
    assert module_value(baseline, "revision") == OURS
    assert '"""Baseline\n' in baseline.read_text()


@pytest.mark.slow
def test_the_config_is_named_with_c_from_another_folder(project_copy, tmp_path):
    """As with alembic, -c names the config; its %(here)s paths are the project's."""
    project = project_copy("default")
    add_example(project, "two-branches")
    script = project / "migrations" / "alembic_env_history.py"
    result = run(
        tmp_path, sys.executable, str(script), "-c", str(project / "alembic.ini"), "rebase", OURS
    )
    assert f"moved 2 revisions onto {THEIRS}" in result.stdout
    assert heads(project).split() == [OURS, "(head)"]
