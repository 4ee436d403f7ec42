"""A PostgreSQL project lints each revision's SQL with squawk, and means it.

The baked project's own `test_squawk` runs as its user runs it (a subprocess inside the
project). It passes on the revisions it ships with and on those our templates and
autogenerate write; it fails on a revision that would stall a busy table, naming squawk's
rule and the safe recipe; and a comment in that revision accepts the finding.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from .databases import throwaway_database
from .projects import EXAMPLES, OPTION_SETS, add_example, alembic
from .test_generated_suite import (
    INITIAL,
    PREFERENCES,
    database_of,
    output,
    pytest_in,
    run_step,
    step_scripts,
    workflow,
)
from .test_revision_templates import write_as_the_comments_say

# What `alembic upgrade --sql` renders for; nothing connects to it.
OFFLINE_URL = sa.make_url("postgresql+psycopg://lint@localhost/offline")
LINT_STEP = "Lint each revision's SQL with squawk"
REVISION = "ffff00000001"
BASELINE = "SQUAWK_START_AFTER"


def run_squawk_test(project: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The project's own squawk test, and only it."""
    return pytest_in(project, tmp_path, "-k", "test_squawk")


def assert_passed(result: subprocess.CompletedProcess[str], *revisions: str) -> None:
    text = output(result)
    assert result.returncode == 0, text
    for revision in revisions:
        assert f"test_squawk[{revision}] PASSED" in text, text


# --- the revisions we ship and write pass --------------------------------------------------


@pytest.mark.parametrize(
    "option_set", ["default", pytest.param("postgresql-async-pyproject", marks=pytest.mark.slow)]
)
def test_the_baked_revisions_pass(bake, tmp_path, option_set):
    assert_passed(run_squawk_test(bake(option_set), tmp_path), INITIAL, PREFERENCES)


TARGET_DETAILS = """
    sku: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    category: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    buyer_id: Mapped[str | None] = mapped_column(sa.ForeignKey("users.id"))
"""
PHONE = "    phone: Mapped[str] = mapped_column(sa.String(20))\n"


def add_target_details(project: Path) -> None:
    """A column with an index, one with a unique constraint, one with a foreign key."""
    targets = project / "src" / "trading_bot" / "models" / "targets.py"
    targets.write_text(targets.read_text() + TARGET_DETAILS)


def add_required_phone(project: Path) -> None:
    """A NOT NULL column without a default on users, which has rows."""
    users = project / "src" / "trading_bot" / "models" / "users.py"
    anchor = "\n\nclass UserPreferences"
    users.write_text(users.read_text().replace(anchor, PHONE + anchor))


def revision_files(project: Path) -> dict[str, str]:
    """The text of each revision file, by file name."""
    return {p.name: p.read_text() for p in (project / "migrations" / "versions").glob("*.py")}


@pytest.mark.slow
@pytest.mark.postgresql
def test_revisions_from_our_templates_and_autogenerate_pass(project_copy, tmp_path):
    project = project_copy("default")
    with throwaway_database("postgresql", tmp_path) as url:
        alembic(project, "upgrade", "head", url=url)
        add_target_details(project)
        # Split in two by env.py: the columns, then safe_ddl for the index and constraints.
        alembic(project, "revision", "--autogenerate", "-m", "target details", url=url)
        alembic(project, "upgrade", "head", url=url)
        add_required_phone(project)
        stairway = ["-x", "template=stairway", "revision", "--autogenerate"]
        alembic(project, *stairway, "-m", "users.phone required", url=url)
    alembic(project, "-x", "template=data", "revision", "-m", "reprice items")
    (data,) = (project / "migrations" / "versions").glob("*_reprice_items.py")
    write_as_the_comments_say(data)  # unwritten, it stops --sql too, in one line
    files = revision_files(project)
    (backfill,) = [name for name in files if name.endswith("_backfill.py")]
    (project / "migrations" / "versions" / backfill).write_text(
        files[backfill].replace("TODO}", '"unknown"}')
    )
    written = "\n".join(files.values())
    for call in ("create_index(", "add_unique_constraint(", "add_foreign_key(", "set_not_null("):
        assert call in written, f"autogenerate wrote no {call}...)"
    assert len(files) == 8, sorted(files)

    result = run_squawk_test(project, tmp_path)
    assert_passed(result, INITIAL, PREFERENCES)
    assert output(result).count(" PASSED") == 8, output(result)


# --- an unsafe revision fails, naming the rule and the safe recipe --------------------------

# Each case is the revision tests/examples/unsafe-CASE, with squawk's rule and our recipe.
UNSAFE = {
    "plain-index": (
        "require-concurrent-index-creation",
        "alembic_env_safe_ddl.create_index(name, table, columns) (CREATE INDEX CONCURRENTLY)",
    ),
    "required-column": (
        "adding-required-field",
        "alembic -x template=stairway revision --autogenerate",
    ),
    "not-null-in-one-step": (
        "adding-not-nullable-field",
        "alembic_env_safe_ddl.set_not_null(table, column)",
    ),
    "type-change": (
        "changing-column-type",
        "expand/contract: add a new column, backfill it",
    ),
}
# Each case runs the project's own pytest: the first is in the inner loop, the rest are slow.
UNSAFE_CASES = [
    pytest.param(case, marks=() if i == 0 else pytest.mark.slow) for i, case in enumerate(UNSAFE)
]
UPGRADE = "def upgrade() -> None:\n"


def write_unsafe(project: Path, case: str, comment: str = "") -> Path:
    """Add the unsafe revision of a case after the example head, with a comment opening
    its upgrade(); return the revision file."""
    (revision,) = add_example(project, f"unsafe-{case}")
    text = revision.read_text()
    assert text.count(UPGRADE) == 1
    revision.write_text(text.replace(UPGRADE, UPGRADE + comment))
    return revision


@pytest.mark.parametrize("case", UNSAFE_CASES)
def test_an_unsafe_revision_fails_with_the_rule_and_the_safe_recipe(project_copy, tmp_path, case):
    project = project_copy("default")
    revision = write_unsafe(project, case)
    result = run_squawk_test(project, tmp_path)
    text = output(result)
    rule, recipe = UNSAFE[case]
    assert result.returncode != 0, text
    assert f"test_squawk[{REVISION}] FAILED" in text
    assert f"test_squawk[{PREFERENCES}] PASSED" in text
    assert f"squawk flags the SQL of {revision.name}" in text
    assert f": {rule}: " in text, text
    assert re.search(rf"safe recipe: .*{re.escape(recipe)}", text), text
    assert f"# squawk: ignore {rule} -- why it is safe here" in text, text


@pytest.mark.parametrize("case", UNSAFE_CASES)
def test_a_comment_in_the_revision_accepts_the_finding(project_copy, tmp_path, case):
    project = project_copy("default")
    rule = UNSAFE[case][0]
    write_unsafe(project, case, f"    # squawk: ignore {rule} -- users is empty until launch\n")
    assert_passed(run_squawk_test(project, tmp_path), PREFERENCES, REVISION)


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("# squawk: ignore require-concurrent-index-creation", "{file}:{line}: say why after --"),
        (
            "# squawk: ignore require-concurrent-index-creatoin -- typo",
            "unused-ignore: unknown name require-concurrent-index-creatoin",
        ),
    ],
    ids=["without-a-reason", "misspelt-rule"],
)
@pytest.mark.slow
def test_a_careless_comment_accepts_nothing(project_copy, tmp_path, comment, reason):
    project = project_copy("default")
    revision = write_unsafe(project, "plain-index", f"    {comment}\n")
    line = revision.read_text().splitlines().index(UPGRADE.strip()) + 2  # the comment's
    reason = reason.format(file=revision.name, line=line)
    result = run_squawk_test(project, tmp_path)
    assert result.returncode != 0, output(result)
    assert f"test_squawk[{REVISION}] FAILED" in output(result)
    assert reason in output(result), output(result)


# --- a data revision that reads rows has no --sql: skipped in one line ---------------------


def get_bind_line(revision: Path) -> int:
    """The line of the revision's op.get_bind(), which the skip names."""
    lines = revision.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if "op.get_bind().execute(query)" in line)


def test_a_revision_that_reads_rows_is_skipped_in_one_line(project_copy, tmp_path):
    project = project_copy("default")
    (revision,) = add_example(project, "data-revision-reads-rows")
    result = run_squawk_test(project, tmp_path)
    text = output(result)
    assert result.returncode == 0, text
    assert f"test_squawk[{PREFERENCES}] PASSED" in text
    assert f"test_squawk[{REVISION}] SKIPPED" in text, text
    reason = (
        f"{revision.name}:{get_bind_line(revision)} reads rows, which --sql cannot: "
        "its SQL is not linted; review it by hand"
    )
    (skip_line,) = [line for line in text.splitlines() if line.startswith("SKIPPED")]
    assert skip_line.endswith(reason), text
    assert "Traceback" not in text and "NoneType" not in text, text


@pytest.mark.slow
def test_the_ci_step_leaves_out_a_revision_that_reads_rows(project_copy):
    project = project_copy("default")
    (revision,) = add_example(project, "data-revision-reads-rows")
    result = run_step(project, step_scripts(project)[LINT_STEP], OFFLINE_URL)
    text = output(result)
    assert result.returncode == 0, text
    assert f"skipped: {revision.name}:{get_bind_line(revision)} reads rows" in result.stderr
    assert "Found 0 issues in 2 files" in text, text
    assert "Traceback" not in text, text


# --- the CI step lints the same SQL, with the same accepted findings ---------------------


@pytest.mark.slow
def test_the_ci_step_honours_the_comment(project_copy):
    project = project_copy("default")
    rule = UNSAFE["plain-index"][0]
    write_unsafe(project, "plain-index")
    script = step_scripts(project)[LINT_STEP]
    result = run_step(project, script, OFFLINE_URL)
    assert result.returncode != 0, output(result)
    assert rule in output(result)

    write_unsafe(project, "plain-index", f"    # squawk: ignore {rule} -- empty table\n")
    result = run_step(project, script, OFFLINE_URL)
    assert result.returncode == 0, output(result)
    assert "Found 0 issues in 3 files" in output(result), output(result)


# --- only PostgreSQL projects lint with squawk ------------------------------------------

SQUAWK_FILES = (".squawk.toml", "tests/test_squawk.py")


@pytest.mark.parametrize("option_set", list(OPTION_SETS))
def test_only_postgresql_projects_have_squawk(bake, option_set):
    project = bake(option_set)
    lints = database_of(option_set) == "postgresql"
    for name in SQUAWK_FILES:
        assert (project / name).is_file() is lints, name
    assert ('"squawk-cli>=' in (project / "pyproject.toml").read_text()) is lints


# --- a baseline: only what is new is linted ---------------------------------------------

LATER = "ffff00000002"


def write_later_unsafe(project: Path) -> Path:
    """A second plain-index revision, after the unsafe one of write_unsafe()."""
    (source,) = (EXAMPLES / "unsafe-plain-index" / "migrations" / "versions").glob("*.py")
    text = source.read_text().replace(REVISION, LATER).replace("0002b8c4d2e9", REVISION)
    later = project / "migrations" / "versions" / f"20251201_0001_{LATER}_later_index.py"
    later.write_text(text.replace("ix_users_username_plain", "ix_users_username_later"))
    return later


def with_baseline(project: Path, tmp_path: Path, start_after: str):
    """The project's squawk test with $SQUAWK_START_AFTER set."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(BASELINE, start_after)
        return run_squawk_test(project, tmp_path)


def git_in(project: Path, *arguments: str) -> None:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", *identity, *arguments], cwd=project, check=True, capture_output=True)


@pytest.mark.slow  # three runs of the project's squawk test
def test_a_baseline_revision_leaves_its_findings_and_older_ones_out(project_copy, tmp_path):
    project = project_copy("default")
    write_unsafe(project, "plain-index")
    result = with_baseline(project, tmp_path, REVISION)
    text = output(result)
    assert result.returncode == 0, text
    assert "test_squawk[" not in text.replace("test_squawk[no-revisions]", ""), text
    assert f"no revisions after {BASELINE}={REVISION} in migrations/versions/" in text, text

    later = write_later_unsafe(project)
    result = with_baseline(project, tmp_path, REVISION)
    text = output(result)
    assert result.returncode != 0, text
    assert f"test_squawk[{LATER}] FAILED" in text, text
    assert f"squawk flags the SQL of {later.name}" in text, text
    assert f"test_squawk[{REVISION}]" not in text and f"test_squawk[{PREFERENCES}]" not in text

    result = with_baseline(project, tmp_path, "")  # no baseline: the older finding too
    assert f"test_squawk[{REVISION}] FAILED" in output(result), output(result)


@pytest.mark.slow  # three runs of the project's squawk test
def test_a_git_ref_leaves_out_the_revision_files_it_already_has(project_copy, tmp_path):
    project = project_copy("default")
    write_unsafe(project, "plain-index")
    git_in(project, "init", "-q")
    git_in(project, "add", "-A")
    git_in(project, "commit", "-q", "-m", "the history so far")
    later = write_later_unsafe(project)  # new, not even added to git yet
    result = with_baseline(project, tmp_path, "HEAD")
    text = output(result)
    assert result.returncode != 0, text
    assert f"test_squawk[{LATER}] FAILED" in text, text
    assert f"test_squawk[{REVISION}]" not in text, text

    git_in(project, "add", "-A")
    git_in(project, "commit", "-q", "-m", "a later index")
    result = with_baseline(project, tmp_path, "HEAD")
    assert result.returncode == 0, output(result)
    result = with_baseline(project, tmp_path, "HEAD~1")
    assert f"test_squawk[{LATER}] FAILED" in output(result), output(result)
    assert f"test_squawk[{REVISION}]" not in output(result)
    assert later.name in output(result)


@pytest.mark.parametrize(
    "git_repository", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["no-git", "in-git"]
)
def test_an_unknown_baseline_is_one_line(project_copy, tmp_path, git_repository):
    project = project_copy("default")
    if git_repository:
        git_in(project, "init", "-q")
    result = with_baseline(project, tmp_path, "no-such-thing")
    text = output(result)
    assert result.returncode != 0, text
    assert "test_squawk[unknown-baseline] FAILED" in text, text
    line = (
        f"{BASELINE}=no-such-thing is neither a revision of the project (alembic history) "
        "nor a git ref of its repository (git log): give one of those, e.g. origin/main"
    )
    assert text.count(line) >= 1 and "Traceback" not in text, text
    assert "test_squawk[0001" not in text, text


def test_the_workflow_lints_what_the_pull_request_changes(bake):
    """On a pull request the checkout is the merge into the base: HEAD^1 is the base."""
    (job,) = workflow(bake("default"))["jobs"].values()
    expression = "${{ github.event_name == 'pull_request' && 'HEAD^1' || '' }}"
    assert job["env"][BASELINE] == expression
    (checkout,) = [step for step in job["steps"] if "actions/checkout@" in step.get("uses", "")]
    assert checkout["with"]["fetch-depth"] == 2
    for option_set in ("mysql", "sqlite-pyproject"):
        (job,) = workflow(bake(option_set))["jobs"].values()
        assert BASELINE not in job["env"]


@pytest.mark.slow
def test_the_ci_step_lints_only_after_the_base(project_copy):
    project = project_copy("default")
    write_unsafe(project, "plain-index")
    git_in(project, "init", "-q")
    git_in(project, "add", "-A")
    git_in(project, "commit", "-q", "-m", "base")
    write_later_unsafe(project)
    git_in(project, "add", "-A")
    git_in(project, "commit", "-q", "-m", "the pull request")
    script = step_scripts(project)[LINT_STEP]
    result = run_step(project, script, OFFLINE_URL, extra_env={BASELINE: "HEAD^1"})
    text = output(result)
    assert result.returncode != 0, text
    assert "Found 1 issue in 1 file" in text, text
    assert [path.name for path in (project / "build" / "revision-sql").glob("*.sql")] == [
        f"0001_{LATER}.sql"
    ]
    result = run_step(project, script, OFFLINE_URL, extra_env={BASELINE: "nowhere"})
    assert result.returncode != 0
    assert f"ERROR: {BASELINE}=nowhere is neither a revision" in result.stderr, output(result)
    assert "Traceback" not in output(result)
