"""Every baked project tests its own migrations: its suite passes, and fails when it should.

The baked project's `pytest` runs as its user runs it, in a subprocess inside the project,
on SQLite or on a server named by TEST_DATABASE_URL. Each failure case breaks a copy of a
baked project in one way and checks that the suite fails, saying why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from .databases import DATABASES, server_url, throwaway_database
from .long_history import write_history
from .projects import ASYNC_DRIVERS, OPTION_SETS, add_example, answers, run, url_for_project

BIN = Path(sys.executable).parent
slow = pytest.mark.slow
SYNC_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "sqlite": "pysqlite"}
INITIAL, PREFERENCES = "0001a1e7b1d4", "0002b8c4d2e9"

# (option set, database): every option set once, SQLite for the async and bare ones too.
SUITE_RUNS = [
    ("default", "sqlite"),
    ("postgresql-async-pyproject", "sqlite"),
    ("sqlite-pyproject", "sqlite"),
    ("sqlite-async-bare", "sqlite"),
    ("default", "postgresql"),
    ("postgresql-async-pyproject", "postgresql"),
    ("mysql", "mysql"),
    ("mysql-async", "mysql"),
]
# Each run is a whole pytest session of the project: only the first is in the inner loop.
SUITE_PARAMS = [
    pytest.param(option_set, kind, id=f"{option_set}-on-{kind}", marks=() if i == 0 else slow)
    for i, (option_set, kind) in enumerate(SUITE_RUNS)
]


def pytest_in(
    project: Path,
    tmp_path: Path,
    *args: str,
    kind: str = "sqlite",
    option_set: str = "default",
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the project's own test suite; on a server, through the project's own driver."""
    server = "" if kind == "sqlite" else url_for_project(server_url(kind), option_set)
    env = {
        "TEST_DATABASE_URL": server and server.render_as_string(hide_password=False),
        # The baked project may be shared with other tests: leave nothing behind in it.
        "PYTHONDONTWRITEBYTECODE": "1",
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-ra"]
    command.append(f"--basetemp={tmp_path / 'inner-pytest'}")
    return run(project, *command, *args, extra_env=env, check=False)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def revision_ids(project: Path) -> list[str]:
    """The revision ids of a project's migrations/versions/."""
    pattern = re.compile(r'^revision: str = "(\w+)"', re.MULTILINE)
    files = sorted((project / "migrations" / "versions").glob("*.py"))
    return [match for path in files for match in pattern.findall(path.read_text())]


def assert_failed_because(result: subprocess.CompletedProcess[str], *reasons: str) -> None:
    text = output(result)
    assert result.returncode != 0, f"the suite passed:\n{text}"
    for reason in reasons:
        assert reason in text, f"{reason!r} not in the suite's output:\n{text}"


# --- the suite passes on every option set -------------------------------------------------


@pytest.mark.parametrize(("option_set", "kind"), SUITE_PARAMS)
def test_the_baked_suite_passes(bake, tmp_path, option_set, kind):
    project = bake(option_set)
    result = pytest_in(project, tmp_path, kind=kind, option_set=option_set)
    text = output(result)
    assert result.returncode == 0, text
    revisions = revision_ids(project)
    if answers(option_set).get("example_models", True):
        assert sorted(revisions) == [INITIAL, PREFERENCES]
        assert "test_default_preferences_for_existing_users PASSED" in text
    else:
        assert revisions == []
        assert "SKIPPED" in text and "no revisions yet in migrations/versions/" in text
    for test in ("test_upgrade", "test_model_definitions_match_ddl", "test_up_down_consistency"):
        assert f"{test} PASSED" in text
    for revision in revisions:
        assert f"test_stairway[{revision}] PASSED" in text
        assert f"test_downgrade_leaves_no_trace[{revision}] PASSED" in text
        assert f"test_rows_survive[{revision}] PASSED" in text


def test_every_option_set_runs_its_suite():
    assert {option_set for option_set, _ in SUITE_RUNS} == set(OPTION_SETS)


# --- and fails when it should --------------------------------------------------------------

FORGOTTEN = {
    "sqlite": ["index ix_targets_title already exists"],
    "postgresql": ['type "watch_kind" already exists', "enum watch_kind"],
}


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=slow)])
def test_a_downgrade_that_forgets_fails_on_its_revision(project_copy, tmp_path, kind):
    project = project_copy("default")
    add_example(project, "forgetful-downgrade")
    result = pytest_in(project, tmp_path, "-k", "stairway or no_trace", kind=kind)
    assert_failed_because(
        result,
        "aaaa00000001 upgrades, downgrades, then fails to upgrade again",
        "the downgrade of aaaa00000001 does not undo its upgrade: left behind",
        "index targets.ix_targets_title ['title']",
        *FORGOTTEN[kind],
    )
    text = output(result)
    assert f"test_stairway[{PREFERENCES}] PASSED" in text
    assert "test_stairway[aaaa00000001] FAILED" in text


# --- the per-revision tests walk the history once -------------------------------------------

PER_REVISION = "test_stairway or test_downgrade_leaves_no_trace"
HISTORY = 15  # revisions written after the two examples (tests/long_history.py)
OUTCOME = re.compile(
    r"::(?P<id>test_\w+\[\w+\])\S* (?P<outcome>PASSED|FAILED|SKIPPED|ERROR)"
    r"|(?P<xdist_outcome>PASSED|FAILED|SKIPPED|ERROR) \S+::(?P<xdist_id>test_\w+\[\w+\])"
)
ON_EVERY_DATABASE = ["sqlite", pytest.param("postgresql", marks=slow), "mysql"]


def outcomes(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Each test's outcome by its id, test_stairway[REV], from `pytest -v` with or without -n."""
    return {
        match["id"] or match["xdist_id"]: match["outcome"] or match["xdist_outcome"]
        for match in OUTCOME.finditer(output(result))
    }


def project_for(kind: str) -> str:
    return "mysql" if kind == "mysql" else "default"


@pytest.mark.parametrize("kind", ON_EVERY_DATABASE)
def test_the_walk_takes_each_revision_up_down_and_up_once(project_copy, tmp_path, kind):
    """Three migration steps per revision in all: the suite grows with the history, once."""
    project = project_copy(project_for(kind))
    add_example(project, "counted-migration-steps")
    history = write_history(project / "migrations" / "versions", HISTORY, PREFERENCES)
    revisions = [INITIAL, PREFERENCES, *history]
    steps = tmp_path / "steps.txt"
    result = pytest_in(
        project,
        tmp_path,
        *("-p", "tests.step_counter", "-k", PER_REVISION),
        kind=kind,
        option_set=project_for(kind),
        extra_env={"MIGRATION_STEPS_FILE": str(steps)},
    )
    assert result.returncode == 0, output(result)
    expected_tests = {
        f"{test}[{revision}]" for test in PER_REVISION.split(" or ") for revision in revisions
    }
    assert outcomes(result) == dict.fromkeys(expected_tests, "PASSED"), output(result)
    counted = Counter(steps.read_text().splitlines())
    expected = Counter()
    for revision in revisions:
        expected.update({f"upgrade {revision}": 2, f"downgrade {revision}": 1})
    assert counted == expected, (
        f"{counted.total()} migration steps for {len(revisions)} revisions; "
        f"more than expected: {counted - expected}, fewer: {expected - counted}"
    )


@pytest.mark.parametrize("kind", [pytest.param(kind, marks=slow) for kind in DATABASES])
def test_the_walks_cached_schema_reads_agree_with_full_reads(project_copy, tmp_path, kind):
    """Each table is read again only once its definition changed, and nothing is missed."""
    project = project_copy(project_for(kind))
    add_example(project, "cached-schema-agrees")
    write_history(project / "migrations" / "versions", 6, "ca5e00000003")
    options = {"kind": kind, "option_set": project_for(kind)}
    result = pytest_in(project, tmp_path, "-k", "cached_schema_lines_agree", **options)
    assert result.returncode == 0, output(result)
    assert "test_cached_schema_lines_agree_at_every_step PASSED" in output(result)


BROKEN = {
    # upgrades, downgrades leaving the watchlists table behind, then fails to upgrade again
    "beef00000001": "FAILED",
    # its downgrade drops a column that does not exist
    "beef00000002": "FAILED",
    # a sound revision after them
    "beef00000003": "PASSED",
}
BROKEN_MESSAGES = [
    "beef00000001 upgrades, downgrades, then fails to upgrade again:",
    "the downgrade of beef00000001 does not undo its upgrade: left behind",
    "'table watchlists'",
    "the downgrade of beef00000002 failed:",
]
# In walk order, in walk order on two xdist workers, and each revision selected alone.
BROKEN_RUNS = [
    pytest.param(
        how, kind, id=f"{how}-{kind}", marks=() if (how, kind) == ("in-order", "sqlite") else slow
    )
    for how in ("in-order", "xdist", "alone")
    for kind in ("sqlite", "postgresql", "mysql")
]


@pytest.mark.parametrize(("how", "kind"), BROKEN_RUNS)
def test_broken_downgrades_fail_on_their_revision_and_the_walk_goes_on(
    project_copy, tmp_path, how, kind
):
    project = project_copy(project_for(kind))
    add_example(project, "broken-downgrades")
    if how == "alone":
        selections = [f"{revision} and ({PER_REVISION})" for revision in BROKEN]
    else:
        selections = [PER_REVISION]
    workers = ("-n", "2") if how == "xdist" else ()
    found, text = {}, ""
    for selection in selections:
        result = pytest_in(
            project, tmp_path, *workers, "-k", selection, kind=kind, option_set=project_for(kind)
        )
        found.update(outcomes(result))
        text += output(result)
    for revision, outcome in BROKEN.items():
        for test in PER_REVISION.split(" or "):
            assert found.get(f"{test}[{revision}]") == outcome, f"{test}[{revision}]:\n{text}"
    if how != "alone":  # the revisions before the broken ones pass, each once
        assert found[f"test_stairway[{PREFERENCES}]"] == "PASSED", text
        assert len(found) == 2 * (2 + len(BROKEN)), text
    for message in BROKEN_MESSAGES:
        assert message in text, f"{message!r} not in the suite's output:\n{text}"
    assert re.search(r"watchlists\W* already exists", text), text


@pytest.mark.parametrize("kind", [pytest.param(kind, marks=slow) for kind in DATABASES])
def test_a_merged_history_is_walked_through_both_branches(project_copy, tmp_path, kind):
    project = project_copy(project_for(kind))
    add_example(project, "merged-branches")
    options = {"kind": kind, "option_set": project_for(kind)}
    result = pytest_in(project, tmp_path, "-k", PER_REVISION, **options)
    assert result.returncode == 0, output(result)
    found = outcomes(result)
    assert set(found.values()) == {"PASSED"}, output(result)
    for revision in ("ba0000000001", "bb0000000001", "bm0000000001", "bz0000000001"):
        assert found[f"test_stairway[{revision}]"] == "PASSED", output(result)
        assert found[f"test_downgrade_leaves_no_trace[{revision}]"] == "PASSED", output(result)
    alone = pytest_in(project, tmp_path, "-k", f"bm0000000001 and ({PER_REVISION})", **options)
    assert outcomes(alone) == {
        "test_stairway[bm0000000001]": "PASSED",
        "test_downgrade_leaves_no_trace[bm0000000001]": "PASSED",
    }, output(alone)


def test_a_second_head_fails(project_copy, tmp_path):
    project = project_copy("default")
    add_example(project, "second-head")
    result = pytest_in(project, tmp_path, "-x", "-k", "single_head")
    assert_failed_because(result, "Expected 1 head revision, found 2")


TARGET_SKU = "    sku: Mapped[str | None] = mapped_column(sa.String(40))\n"


def test_a_model_change_without_a_revision_fails(project_copy, tmp_path):
    project = project_copy("default")
    targets = project / "src" / "trading_bot" / "models" / "targets.py"
    targets.write_text(targets.read_text() + TARGET_SKU)
    result = pytest_in(project, tmp_path, "-x", "-k", "model_definitions")
    assert_failed_because(
        result, "models describing the DDL of your database are out of sync", "'sku'"
    )


def test_a_revision_importing_a_model_fails(project_copy, tmp_path):
    project = project_copy("default")
    (revision,) = add_example(project, "revision-imports-a-model")
    lines = revision.read_text().splitlines()
    number = lines.index("from trading_bot.models.users import User") + 1
    result = pytest_in(project, tmp_path, "-x", "-k", "imports_the_application")
    assert_failed_because(
        result,
        "revisions import trading_bot",
        f"{revision.name}:{number}: imports trading_bot.models.users",
    )


def test_a_downgrade_that_does_nothing_fails(project_copy, tmp_path):
    project = project_copy("default")
    add_example(project, "downgrade-does-nothing")
    result = pytest_in(project, tmp_path, "-x", "-k", "every_downgrade")
    assert_failed_because(result, "dddd00000001: downgrade() does nothing")


def test_an_irreversible_revision_is_skipped_on_purpose_and_named(project_copy, tmp_path):
    project = project_copy("default")
    add_example(project, "irreversible-revision")
    # -W error: pytest-alembic's warning about a NotImplementedError downgrade fails the run.
    result = pytest_in(project, tmp_path, "-W", "error", "-k", "stairway or no_trace or up_down")
    text = output(result)
    assert result.returncode == 0, text
    assert "eeee00000001 is irreversible: the usernames are gone" in text
    assert "test_stairway[eeee00000001] SKIPPED" in text
    assert f"test_stairway[{PREFERENCES}] PASSED" in text
    assert "test_up_down_consistency PASSED" in text


def test_a_data_migration_that_loses_rows_fails(project_copy, tmp_path):
    project = project_copy("default")
    (revision,) = (project / "migrations" / "versions").glob(f"*_{PREFERENCES}_*.py")
    careful = ".where(batch, ADDED_BY_THIS_REVISION)"
    text = revision.read_text()
    assert careful in text, "the example data migration changed: update this test"
    # The downgrade now deletes every user's preferences, the ones users chose too.
    revision.write_text(text.replace(careful, ".where(batch)"))
    result = pytest_in(project, tmp_path, "-x", "-k", "default_preferences")
    assert_failed_because(
        result,
        "test_default_preferences_for_existing_users FAILED",
        'assert migration.rows("user_preferences") == [CHOSEN]',
    )


# The team's first version of the example data migration: its downgrade deletes by value.
LOST_PREFERENCE = {
    "sqlite": "'default_game': 'csgo', 'notification_enabled': True}",
    "postgresql": "'default_game': 'csgo', 'notification_enabled': True}",
    "mysql": "'default_game': 'csgo', 'notification_enabled': 1}",
}


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=slow), "mysql"])
def test_a_downgrade_deleting_by_value_fails_with_the_rows_it_lost(project_copy, tmp_path, kind):
    project = project_copy("mysql" if kind == "mysql" else "default")
    add_example(project, "value-based-delete-downgrade")
    result = pytest_in(project, tmp_path, "-k", "rows_survive or default_preferences", kind=kind)
    assert_failed_because(
        result,
        f"test_rows_survive[{PREFERENCES}] FAILED",
        f"the upgrade and downgrade of {PREFERENCES} lost rows of user_preferences "
        "that were there before (1):",
        LOST_PREFERENCE[kind],
    )
    text = output(result)
    # The handwritten test of the example passes: its chosen row is not a default one.
    assert "test_default_preferences_for_existing_users PASSED" in text
    assert f"test_rows_survive[{INITIAL}] PASSED" in text


@pytest.mark.slow
def test_an_upgrade_deleting_rows_fails_until_it_says_why(project_copy, tmp_path):
    project = project_copy("default")
    (revision,) = add_example(project, "upgrade-deletes-rows")
    result = pytest_in(project, tmp_path, "-k", "rows_survive")
    assert_failed_because(
        result,
        "test_rows_survive[ffff00000001] FAILED",
        "the upgrade of ffff00000001 deleted rows of users that were there before it (",
        "'username': None",
        'if it means to, say why in the revision: deletes_rows = "why"',
    )
    text = revision.read_text()
    revision.write_text(
        text + '\ndeletes_rows = "users without a username never finished signing up"\n'
    )
    result = pytest_in(project, tmp_path, "-k", "rows_survive")
    assert result.returncode == 0, output(result)
    assert "test_rows_survive[ffff00000001] PASSED" in output(result)


# --- the CI workflow -------------------------------------------------------------------------

WORKFLOW = Path(".github/workflows/migrations.yml")
CI_OPTION_SETS = [name for name in OPTION_SETS if answers(name).get("ci_workflow", True)]
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def workflow(project: Path) -> dict:
    return yaml.safe_load((project / WORKFLOW).read_text())


def database_of(option_set: str) -> str:
    return str(answers(option_set).get("database", "postgresql"))


@pytest.mark.parametrize("option_set", CI_OPTION_SETS)
def test_workflow_is_pinned_read_only_and_tests_on_the_chosen_database(bake, option_set):
    project = bake(option_set)
    text = (project / WORKFLOW).read_text()
    parsed = workflow(project)
    assert set(parsed[True]) == {"push", "pull_request"}  # YAML 1.1 reads `on` as True
    assert parsed["permissions"] == {"contents": "read"}
    (job,) = parsed["jobs"].values()
    uses = [line.split("uses:", 1)[1].strip() for line in text.splitlines() if "uses:" in line]
    assert len(uses) == 2 and all(PINNED.match(action) for action in uses), uses
    kind = database_of(option_set)
    drivers = ASYNC_DRIVERS if answers(option_set).get("async_driver") else SYNC_DRIVERS
    assert job["env"]["DATABASE_URL"].startswith(f"{kind}+{drivers[kind]}://")
    if kind == "sqlite":
        assert "services" not in job
        assert set(job["env"]) == {"DATABASE_URL"}
    else:
        image = {"postgresql": "postgres:16", "mysql": "mariadb:11"}[kind]
        assert job["services"]["database"]["image"] == image
        assert job["env"]["TEST_DATABASE_URL"] == job["env"]["DATABASE_URL"]
    steps = {step.get("name"): step.get("run", "") for step in job["steps"]}
    assert steps["Install"] == "pip install -e '.[dev]'"
    assert ("Lint each revision's SQL with squawk" in steps) == (kind == "postgresql")


def step_scripts(project: Path) -> dict[str, str]:
    (job,) = workflow(project)["jobs"].values()
    return {step["name"]: step["run"] for step in job["steps"] if "run" in step}


def run_step(project: Path, script: str, url, extra_env: dict[str, str] | None = None):
    """Run a workflow step's script as GitHub does, with this environment's tools."""
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONDONTWRITEBYTECODE": "1"}
    script = "\n".join(line for line in script.splitlines() if not line.startswith("pip "))
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
    return run(project, *command, url=url, extra_env={**env, **(extra_env or {})}, check=False)


# The steps every project runs here as in CI; Install is this environment, and the suite's
# runs are above.
GATES = [
    "Lint",
    "Check formatting",
    "One head",
    "Upgrade to head",
    "No model change without a revision",
]


@pytest.mark.parametrize(
    "option_set",
    [
        pytest.param("default", marks=[pytest.mark.postgresql, slow]),
        pytest.param("mysql", marks=pytest.mark.mysql),
        "sqlite-pyproject",
    ],
)
def test_workflow_gates_pass_on_a_fresh_bake(project_copy, tmp_path, option_set):
    project = project_copy(option_set)
    kind = database_of(option_set)
    scripts = step_scripts(project)
    with throwaway_database(kind, tmp_path) as url:
        for name in GATES:
            result = run_step(project, scripts[name], url_for_project(url, option_set))
            assert result.returncode == 0, f"{name}:\n{output(result)}"
        if kind == "postgresql":
            result = run_step(project, scripts["Lint each revision's SQL with squawk"], url)
            # The gate passes on what the template bakes, having read both revisions.
            assert result.returncode == 0, output(result)
            assert re.search(r"checked 2 source files|in 2 files", output(result)), output(result)
            sql = sorted((project / "build" / "revision-sql").glob("*.sql"))
            assert [path.name for path in sql] == [
                f"0001_{INITIAL}.sql",
                f"0002_{PREFERENCES}.sql",
            ]
            assert "CREATE TABLE users" in sql[0].read_text()
            assert "INSERT INTO user_preferences" in sql[1].read_text()


def test_workflow_refuses_a_second_head(project_copy, tmp_path):
    project = project_copy("sqlite-pyproject")
    add_example(project, "second-head")
    result = run_step(project, step_scripts(project)["One head"], None)
    assert result.returncode != 0
    assert "2 heads: merge them" in output(result)
