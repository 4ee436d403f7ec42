"""Baking the template: every option set, the files each answer promises, hostile answers."""

from __future__ import annotations

import ast
import configparser
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .projects import MIGRATIONS, OPTION_SETS, answers

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the template's tests also run on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "{{cookiecutter.project_slug}}"
MIGRATION_TEMPLATES = MIGRATIONS
# Rendered by `alembic init` only; a baked project has the real alembic.ini/pyproject.toml.
SHARED_WITHOUT_SUFFIX = {"README"}
EXAMPLE_MODEL_FILES = ("users.py", "targets.py")
# A Jinja expression, statement or comment that was not rendered. `${{ }}` is a GitHub
# Actions expression (unless it names cookiecutter) and `${...}` is Mako: both are fine.
JINJA_LEFTOVER = re.compile(r"\{\{ ?cookiecutter\.|(?<!\$)\{\{|\{%|\{#")
SLUG = re.compile(r"[a-z][a-z0-9_-]*")
HOSTILE_NAME = "Ünïcødé \"Bot\" \\ {x} } 'q' 100% #1"
BAD_ANSWERS = {
    "keyword": {"package_name": "class"},
    "shadows-alembic": {"package_name": "alembic"},
    "dash": {"package_name": "my-pkg"},
    "leading-digit": {"package_name": "1abc"},
    "empty": {"package_name": ""},
    "uppercase-slug": {"project_slug": "Trading-Bot"},
    "digit-first-name": {"project_name": "3D Printer"},
}


def effective_answers(option_set: str) -> dict[str, object]:
    """The answers cookiecutter uses for an option set: its overrides over the defaults."""
    questions = json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
    defaults = {
        key: value[0] if isinstance(value, list) else value
        for key, value in questions.items()
        if not key.startswith("_")
    }
    return {**defaults, **answers(option_set)}


def project_files(project: Path) -> list[Path]:
    """Every file of a baked project."""
    return sorted(path for path in project.rglob("*") if path.is_file())


def read_pyproject(project: Path) -> dict:
    """A baked project's pyproject.toml, parsed."""
    return tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))


def ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run this environment's ruff in a project, with the project's own configuration."""
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


option_sets = pytest.mark.parametrize("option_set", list(OPTION_SETS), ids=list(OPTION_SETS))


# --- every option set ------------------------------------------------------------------


@option_sets
def test_no_jinja_is_left(bake, option_set: str) -> None:
    project = bake(option_set)
    leftovers = []
    for path in project_files(project):
        relative = path.relative_to(project).as_posix()
        if JINJA_LEFTOVER.search(relative):
            leftovers.append(f"{relative}: in the file name")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if JINJA_LEFTOVER.search(line):
                leftovers.append(f"{relative}:{number}: {line.strip()}")
    assert leftovers == []


@option_sets
def test_no_file_speaks_of_a_guide_the_reader_never_saw(bake, option_set: str) -> None:
    project = bake(option_set)
    mentions = [
        f"{path.relative_to(project).as_posix()}:{number}: {line.strip()}"
        for path in project_files(project)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "guide" in line.lower()
    ]
    assert mentions == []


@option_sets
@pytest.mark.parametrize("command", [("check",), ("format", "--check")], ids=["check", "format"])
def test_ruff_passes(bake, option_set: str, command: tuple[str, ...]) -> None:
    result = ruff(bake(option_set), *command)
    assert result.returncode == 0, result.stdout + result.stderr


@option_sets
def test_configuration_is_where_the_answer_says(bake, option_set: str) -> None:
    project = bake(option_set)
    tool = read_pyproject(project).get("tool", {})
    if effective_answers(option_set)["config_format"] == "alembic.ini":
        assert (project / "alembic.ini").is_file()
        assert "alembic" not in tool
    else:
        assert not (project / "alembic.ini").exists()
        assert tool["alembic"]["script_location"]


@option_sets
def test_example_models_follow_the_answer(bake, option_set: str) -> None:
    project = bake(option_set)
    wanted = bool(effective_answers(option_set)["example_models"])
    (models,) = project.glob("src/*/models")
    for name in EXAMPLE_MODEL_FILES:
        assert (models / name).is_file() is wanted, name
    initial = list((project / "migrations" / "versions").glob("*initial_schema.py"))
    assert bool(initial) is wanted


@option_sets
def test_github_folder_follows_the_answer(bake, option_set: str) -> None:
    project = bake(option_set)
    if effective_answers(option_set)["ci_workflow"]:
        if (TEMPLATE / ".github").is_dir():
            assert (project / ".github").is_dir()
    else:
        assert not (project / ".github").exists()


@option_sets
def test_migration_templates_have_one_source(bake, option_set: str) -> None:
    migrations = bake(option_set) / "migrations"
    shared = sorted(
        path.name
        for path in MIGRATION_TEMPLATES.iterdir()
        if path.is_file()
        and (path.suffix in {".py", ".mako"} or path.name in SHARED_WITHOUT_SUFFIX)
    )
    assert {"env.py", "script.py.mako", "README"} <= set(shared)
    for name in shared:
        baked = migrations / name
        assert baked.is_file(), f"migrations/{name} is missing"
        assert baked.read_bytes() == (MIGRATION_TEMPLATES / name).read_bytes(), name


# --- the post-generation hook, end to end ------------------------------------------------


@pytest.fixture
def template_with_workflow(tmp_path: Path) -> Path:
    """A copy of the template with a workflow file that only ci_workflow includes."""
    copy = tmp_path / "template"
    copy.mkdir()
    for name in ("cookiecutter.json", "hooks", TEMPLATE.name):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        else:
            shutil.copy2(source, copy / name)
    workflows = copy / TEMPLATE.name / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    (workflows / "{% if cookiecutter.ci_workflow %}probe.yml{% endif %}").write_text("on: push\n")
    return copy


@pytest.mark.parametrize("ci_workflow", [True, False])
def test_excluded_workflow_leaves_no_folder(
    cookies, template_with_workflow: Path, ci_workflow: bool
) -> None:
    result = cookies.bake(
        extra_context={"ci_workflow": ci_workflow}, template=str(template_with_workflow)
    )
    assert result.exit_code == 0, result.exception
    project = result.project_path
    assert (project / ".github/workflows/probe.yml").is_file() is ci_workflow
    assert (project / ".github").exists() is ci_workflow


# --- hostile answers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_projects(cookies_session) -> dict[str, Path]:
    """Projects named with quotes, backslashes, braces, % and non-ASCII, by config_format."""
    projects = {}
    for config_format in ("alembic.ini", "pyproject.toml"):
        result = cookies_session.bake(
            extra_context={
                "project_name": HOSTILE_NAME,
                "project_slug": "hostile-bot",
                "package_name": "hostile_bot",
                "config_format": config_format,
            }
        )
        assert result.exit_code == 0, result.exception
        projects[config_format] = result.project_path
    return projects


def test_hostile_pyproject_reads_back(hostile_projects: dict[str, Path]) -> None:
    for config_format, project in hostile_projects.items():
        pyproject = read_pyproject(project)
        assert HOSTILE_NAME in pyproject["project"]["description"], config_format
    alembic = read_pyproject(hostile_projects["pyproject.toml"])["tool"]["alembic"]
    assert alembic["target_metadata"] == "hostile_bot.models:metadata"


def test_hostile_alembic_ini_reads_back(hostile_projects: dict[str, Path]) -> None:
    project = hostile_projects["alembic.ini"]
    # The way alembic reads it: interpolation on, %(here)s defined.
    parser = configparser.ConfigParser(defaults={"here": str(project)})
    assert parser.read(project / "alembic.ini", encoding="utf-8")
    for section in ("alembic", "post_write_hooks"):
        for option in parser.options(section):
            parser.get(section, option)
    assert parser.get("alembic", "script_location") == f"{project}/migrations"
    assert parser.get("alembic", "target_metadata") == "hostile_bot.models:metadata"


def test_hostile_python_files_parse(hostile_projects: dict[str, Path]) -> None:
    for project in hostile_projects.values():
        python_files = [path for path in project_files(project) if path.suffix == ".py"]
        assert python_files
        for path in python_files:
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_default_slug_from_a_non_ascii_name_is_valid(cookies) -> None:
    result = cookies.bake(extra_context={"project_name": HOSTILE_NAME})
    assert result.exit_code == 0, result.exception
    slug = result.context["project_slug"]
    assert SLUG.fullmatch(slug), slug
    assert result.project_path.name == slug
    assert result.context["package_name"].isidentifier()


# --- bad answers -------------------------------------------------------------------------


@pytest.mark.parametrize("extra_context", list(BAD_ANSWERS.values()), ids=list(BAD_ANSWERS))
def test_bad_answers_stop_the_bake_with_one_error_line(
    cookies, tmp_path: Path, capfd, extra_context: dict[str, str]
) -> None:
    result = cookies.bake(extra_context=extra_context)
    assert result.exit_code != 0
    assert list((tmp_path / "cookies").glob("*/*")) == [], "a project was left on disk"
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR: ")
    assert re.search(r"; type a name such as \S+ instead$", lines[0]), lines[0]
