"""Unit tests of the cookiecutter hooks, imported by path (hooks/ is not a package)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from cookiecutter.utils import create_env_with_context

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "hooks"
MIGRATIONS = ROOT / "{{cookiecutter.project_slug}}" / "migrations"
# The last part of every error line: the name the person could type instead.
SUGGESTION = re.compile(r"; type a name such as (\S+) instead$")


def load_module(path: Path, name: str) -> ModuleType:
    """Import a Python file that is not part of a package."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_module(HOOKS / "pre_gen_project.py", "pre_gen_project")
post_gen = load_module(HOOKS / "post_gen_project.py", "post_gen_project")


def render_hook(name: str, tmp_path: Path, **answers: object) -> ModuleType:
    """The hook as cookiecutter runs it: rendered with the full context of `answers`."""
    context = generate_context(context_file=str(ROOT / "cookiecutter.json"), extra_context=answers)
    context["cookiecutter"] = prompt_for_config(context, no_input=True)
    source = (HOOKS / f"{name}.py").read_text(encoding="utf-8")
    rendered = create_env_with_context(context).from_string(source).render(**context)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{name}.py"
    path.write_text(rendered, encoding="utf-8")
    return load_module(path, f"rendered_{name}")


def assert_error_line(error: str | None) -> str:
    """The error is one line, starts with ERROR: and offers a valid name; return that."""
    assert error is not None
    assert error.startswith("ERROR: ")
    assert "\n" not in error and "\r" not in error
    suggestion = SUGGESTION.search(error)
    assert suggestion, f"no suggestion in {error!r}"
    return suggestion.group(1)


# --- pre_gen_project: project_slug ------------------------------------------------------


@pytest.mark.parametrize("slug", ["trading-bot", "a", "bot2", "my_bot", "a-b_c-9"])
def test_valid_slugs_pass(slug: str) -> None:
    assert pre_gen.slug_problem(slug) is None


@pytest.mark.parametrize(
    "slug",
    ["", "Trading-Bot", "1abc", "-abc", "_abc", "abc-", "my bot", "café", "a/b", "a.b", "ab\n"],
)
def test_bad_slugs_are_refused_with_a_valid_suggestion(slug: str) -> None:
    assert pre_gen.slug_problem(slug)
    suggestion = assert_error_line(pre_gen.check(slug, "trading_bot"))
    assert pre_gen.slug_problem(suggestion) is None


@pytest.mark.parametrize(
    ("slug", "suggestion"),
    [
        ("Trading Bot", "trading-bot"),
        ("1abc", "abc"),
        ("abc-", "abc"),
        ("Crème Brûlée Bot", "creme-brulee-bot"),
        ("", "my-project"),
        ("---", "my-project"),
    ],
)
def test_slug_suggestions(slug: str, suggestion: str) -> None:
    assert pre_gen.suggest_slug(slug) == suggestion


# --- pre_gen_project: package_name -----------------------------------------------------


@pytest.mark.parametrize("name", ["trading_bot", "_private", "Bot2", "alembic_db", "db"])
def test_valid_package_names_pass(name: str) -> None:
    assert pre_gen.package_problem(name) is None
    assert pre_gen.check("trading-bot", name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "is empty"),
        ("class", "keyword"),
        ("None", "keyword"),
        ("import", "keyword"),
        ("alembic", "shadow"),
        ("SQLAlchemy", "shadow"),
        ("Mako", "shadow"),
        ("psycopg", "shadow"),
        ("mysqldb", "'MySQLdb' module the project uses"),
        ("Pytest_Alembic", "shadow"),
        ("migrations", "shadow"),
        ("env", "'env' module of the migration environment"),
        ("Backfill", "'backfill' module of the migration environment"),
        ("alembic_env_backfill", "prefix of the migration environment's modules"),
        ("Alembic_Env_Audit", "prefix of the migration environment's modules"),
        ("test", "shadow"),
        ("tests", "shadow"),
        ("my-pkg", "not a Python identifier"),
        ("1abc", "not a Python identifier"),
        ("my pkg", "not a Python identifier"),
        ("café", "not a Python identifier"),
        ("a.b", "not a Python identifier"),
    ],
)
def test_bad_package_names_are_refused(name: str, reason: str) -> None:
    error = pre_gen.check("trading-bot", name)
    suggestion = assert_error_line(error)
    assert reason in error
    assert "package_name" in error
    assert pre_gen.package_problem(suggestion) is None


@pytest.mark.parametrize("name", ["os", "json", "typing", "asyncio", "Email", "cProfile"])
def test_standard_library_names_are_refused(name: str) -> None:
    error = pre_gen.check("trading-bot", name)
    assert_error_line(error)
    assert "standard library" in error


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("my-pkg", "my_pkg"),
        ("1bot", "bot"),
        ("1abc", "abc_db"),  # abc is a standard library module
        ("class", "class_db"),
        ("alembic", "alembic_db"),
        ("env", "env_db"),
        ("alembic_env_locks", "my_alembic_env_locks"),
        ("json", "json_db"),
        ("Crème Brûlée", "creme_brulee"),
        ("", "my_project"),
    ],
)
def test_package_suggestions(name: str, suggestion: str) -> None:
    assert pre_gen.suggest_package(name) == suggestion


def migration_modules() -> list[str]:
    """The modules a baked project ships in migrations/, which is on its sys.path."""
    return sorted(path.stem for path in MIGRATIONS.glob("*.py"))


def test_every_module_of_the_migration_environment_is_refused() -> None:
    modules = migration_modules()
    assert "env" in modules and len(modules) > 1
    for module in modules:
        error = pre_gen.check("trading-bot", module)
        assert_error_line(error)
        assert "migration environment" in error, error
    # Every other module carries the prefix, so one added later is refused with no change.
    unprefixed = {m for m in modules if not m.startswith(pre_gen.MIGRATION_PREFIX)}
    assert unprefixed <= pre_gen.MIGRATION_MODULES, unprefixed
    assert pre_gen.package_problem(pre_gen.MIGRATION_PREFIX + "added_later")


def test_a_bad_slug_is_reported_before_the_package_name() -> None:
    error = pre_gen.check("1abc", "class")
    assert_error_line(error)
    assert "project_slug" in error
    assert "package_name" not in error


def test_error_line_format() -> None:
    line = pre_gen.error_line("package_name 'class' is a Python keyword", "class_db")
    assert line == (
        "ERROR: package_name 'class' is a Python keyword; type a name such as class_db instead"
    )


# --- pre_gen_project as cookiecutter runs it ------------------------------------------

HOSTILE = "a\"b'c\\d {x} } Ü 😀 \"\"\" ''' \\"


def test_rendered_pre_gen_reads_any_answer_exactly(tmp_path: Path) -> None:
    hook = render_hook("pre_gen_project", tmp_path, project_slug=HOSTILE, package_name=HOSTILE)
    assert json.loads(hook.PROJECT_SLUG_JSON) == HOSTILE
    assert json.loads(hook.PACKAGE_NAME_JSON) == HOSTILE


def test_rendered_pre_gen_accepts_the_defaults(tmp_path: Path, capsys) -> None:
    hook = render_hook("pre_gen_project", tmp_path)
    assert hook.main() == 0
    assert capsys.readouterr().err == ""


def test_rendered_pre_gen_refuses_a_hostile_slug_in_one_line(tmp_path: Path, capsys) -> None:
    hook = render_hook("pre_gen_project", tmp_path, project_slug=HOSTILE)
    assert hook.main() == 1
    err = capsys.readouterr().err
    assert err.endswith("\n")
    assert_error_line(err.removesuffix("\n"))


# Every name the hook refuses because the project would import something else by it.
REFUSED_NAMES = sorted(
    {*pre_gen.MIGRATION_MODULES, *migration_modules(), *pre_gen.SHADOWED_MODULES}, key=str.lower
)


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_baking_a_refused_package_name_stops_with_one_error_line(
    cookies, tmp_path: Path, capfd, name: str
) -> None:
    result = cookies.bake(extra_context={"package_name": name})
    assert result.exit_code != 0
    assert list((tmp_path / "cookies").glob("*/*")) == [], "a project was left on disk"
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert_error_line(lines[0])
    assert f"package_name {name!r} " in lines[0]
    assert "migration environment" in lines[0] or "module the project uses" in lines[0]


# --- post_gen_project ------------------------------------------------------------------


def make_dirs(project: Path, *directories: str) -> None:
    for directory in directories:
        (project / directory).mkdir(parents=True, exist_ok=True)


def test_excluded_directories_follow_the_answers() -> None:
    assert post_gen.excluded_directories({"ci_workflow": True}) == []
    assert post_gen.excluded_directories({"ci_workflow": False}) == [
        ".github/workflows",
        ".github",
    ]


def test_every_optional_directory_belongs_to_a_yes_no_question() -> None:
    questions = json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
    for answer in post_gen.OPTIONAL_DIRECTORIES:
        assert isinstance(questions.get(answer), bool), answer


def test_empty_directories_of_excluded_answers_are_removed(tmp_path: Path) -> None:
    make_dirs(tmp_path, ".github/workflows", "src")
    removed = post_gen.remove_empty_directories(tmp_path, [".github/workflows", ".github"])
    assert removed == [tmp_path / ".github/workflows", tmp_path / ".github"]
    assert not (tmp_path / ".github").exists()
    assert (tmp_path / "src").is_dir()


def test_removing_is_idempotent(tmp_path: Path) -> None:
    make_dirs(tmp_path, ".github/workflows")
    post_gen.remove_empty_directories(tmp_path, [".github/workflows", ".github"])
    assert post_gen.remove_empty_directories(tmp_path, [".github/workflows", ".github"]) == []


def test_directories_with_files_are_kept(tmp_path: Path) -> None:
    make_dirs(tmp_path, ".github/workflows")
    workflow = tmp_path / ".github/workflows/ci.yml"
    workflow.write_text("name: ci\n")
    assert post_gen.remove_empty_directories(tmp_path, [".github/workflows", ".github"]) == []
    assert workflow.read_text() == "name: ci\n"


def test_a_parent_with_other_content_is_kept(tmp_path: Path) -> None:
    make_dirs(tmp_path, ".github/workflows")
    (tmp_path / ".github/dependabot.yml").write_text("version: 2\n")
    removed = post_gen.remove_empty_directories(tmp_path, [".github/workflows", ".github"])
    assert removed == [tmp_path / ".github/workflows"]
    assert (tmp_path / ".github/dependabot.yml").is_file()


@pytest.mark.parametrize("ci_workflow", [True, False])
def test_rendered_post_gen_tidies_the_working_directory(
    tmp_path: Path, monkeypatch, ci_workflow: bool
) -> None:
    hook = render_hook("post_gen_project", tmp_path / "hook", ci_workflow=ci_workflow)
    assert json.loads(hook.ANSWERS_JSON).keys() == post_gen.OPTIONAL_DIRECTORIES.keys()
    project = tmp_path / "project"
    make_dirs(project, ".github/workflows")
    monkeypatch.chdir(project)
    assert hook.main() == 0
    assert hook.main() == 0
    assert (project / ".github").exists() is ci_workflow
