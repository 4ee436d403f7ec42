"""`alembic-template add-tests`: the generated test suite, written into an existing repository.

The files are the cookiecutter template's own tests/ folder (stairway, no-trace, rows
survive, revision-file checks, pytest-alembic's built-in tests; squawk for PostgreSQL, with
the .squawk.toml of its rules), rendered with cookiecutter's Jinja environment for this
repository. They go beside alembic.ini, where they look for it, as in a generated project;
an alembic.ini inside its own script location (Flask-Migrate's migrations/alembic.ini)
gets them in the folder above, the project's, and they are told where it is:

    alembic-template add-tests [-c alembic.ini] [--force] [--database KIND] [--package NAME]

The repository's alembic configuration says where the revisions are, which database they
run on (for squawk and the drivers) and which package the models come from (revisions must
not import it); --database and --package say so where it does not.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL, make_url

from .templates import PACKAGE_DIR

# In a checkout the template's files are beside the package; the wheel carries copies.
CHECKOUT_ROOT = PACKAGE_DIR.parent.parent
TESTS_FOLDER = "tests"
DATABASES = ("postgresql", "mysql", "sqlite")
# The drivers a generated project's async_driver answer picks (cookiecutter.json).
ASYNC_DRIVERS = ("asyncpg", "aiomysql", "aiosqlite")
# The dev dependencies of a generated project's pyproject.toml that the tests need.
TEST_DEPENDENCIES = ["pytest>=8.1,<9", "pytest-alembic>=0.13.1,<0.14"]
SQUAWK = "squawk-cli>=2.70,<3"
# Packages a target_metadata expression may name that are not the application.
NOT_THE_APPLICATION = {"alembic", "sqlalchemy", "flask", "flask_migrate", "flask_sqlalchemy"}
# What a stock env.py lacks: the tests hand it each test database as $DATABASE_URL.
URL_FROM_ENVIRONMENT = """\
    import os  # at the top
    if os.environ.get("DATABASE_URL"):  # after `config = context.config`
        config.set_main_option("sqlalchemy.url", os.environ["DATABASE_URL"].replace("%", "%%"))"""


def add_parser(subparsers: Any) -> None:
    """Add `add-tests` to alembic-template's subcommands."""
    parser = subparsers.add_parser(
        "add-tests",
        help="Write the generated migration test suite into this repository's tests/.",
        description="Write a generated project's migration tests into tests/ beside this "
        "repository's alembic.ini, configured from its alembic configuration.",
    )
    # Also after the subcommand, as the README writes it; SUPPRESS keeps a -c given before.
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=argparse.SUPPRESS,
        help="the repository's alembic.ini (or pyproject.toml); default: alembic.ini",
    )
    parser.add_argument("--force", action="store_true", help="overwrite files already there")
    parser.add_argument(
        "--database",
        choices=DATABASES,
        help="the database the revisions run on, if sqlalchemy.url and $DATABASE_URL do not say",
    )
    parser.add_argument(
        "--package", help="the application's package, which revisions must not import"
    )
    parser.set_defaults(cmd=(add_tests, [], ["force", "database", "package"]))


def add_tests(
    config: Config, force: bool = False, database: str | None = None, package: str | None = None
) -> None:
    """Write the test suite beside the alembic configuration; refuse to overwrite files."""
    home, config_format = configuration_home(config)
    migrations = migrations_folder(config, home)
    kind = database or database_kind(config)
    async_driver = uses_async_driver(config, kind)
    package = application_package(config, migrations) if package is None else package
    files = rendered_files(kind, async_driver, package, config_format)
    project = project_folder(config, home, migrations)
    if project != home:
        files = with_alembic_ini(files, Path(config.config_file_name).resolve(), project)
    folder = project / TESTS_FOLDER
    targets = {project / name: text for name, text in files.items()}
    if (folder / "__init__.py").is_file():
        del targets[folder / "__init__.py"]  # the repository's own package marker serves
    there = [shown(path, project) for path in targets if path.exists()]
    if there and not force:
        raise CommandError(
            f"add-tests: {', '.join(there)} already exist: move them aside, or run "
            "add-tests --force to overwrite them"
        )
    folder.mkdir(exist_ok=True)
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8")
    report(project, migrations, kind, package)
    if kind == "postgresql":
        heads = ScriptDirectory.from_config(config).get_heads()
        head = heads[0] if len(heads) == 1 else "<revision>"
        print(
            "squawk lints every revision; to lint only the revisions after today's head: "
            f"SQUAWK_START_AFTER={head} pytest {TESTS_FOLDER}"
        )


def configuration_home(config: Config) -> tuple[Path, str]:
    """The folder of the alembic configuration (the tests go there), and where the options
    are: alembic.ini, or pyproject.toml's [tool.alembic] (with or without an alembic.ini)."""
    ini = Path(config.config_file_name) if config.config_file_name else None
    toml = Path(config.toml_file_name) if config.toml_file_name else None
    in_toml = bool(toml and toml.is_file() and "[tool.alembic]" in toml.read_text("utf-8"))
    if ini is not None and ini.is_file():
        if ini.name != "alembic.ini":
            raise CommandError(
                f"add-tests: the tests read alembic.ini beside their folder; rename {ini} "
                "to alembic.ini"
            )
        return ini.resolve().parent, "pyproject.toml" if in_toml else "alembic.ini"
    if in_toml:
        return toml.resolve().parent, "pyproject.toml"
    raise CommandError(
        "add-tests: no alembic configuration here (alembic.ini, or pyproject.toml with "
        "[tool.alembic]): run it where that is, or give -c path/to/alembic.ini"
    )


def project_folder(config: Config, home: Path, migrations: Path) -> Path:
    """Where tests/ goes: beside the configuration, but for an alembic.ini among the
    revisions' env.py (Flask-Migrate's): the folder above, where pytest runs."""
    if config.config_file_name and migrations.resolve() == home:
        return home.parent
    return home


def with_alembic_ini(files: dict[str, str], ini: Path, project: Path) -> dict[str, str]:
    """The files with revisions.py's ALEMBIC_INI naming the configuration's place."""
    parts = " / ".join(f'"{part}"' for part in ini.relative_to(project).parts)
    beside = 'ALEMBIC_INI = PROJECT / "alembic.ini"\n'
    revisions = f"{TESTS_FOLDER}/revisions.py"
    assert beside in files[revisions], "revisions.py no longer defines ALEMBIC_INI"
    replaced = files[revisions].replace(beside, f"ALEMBIC_INI = PROJECT / {parts}\n", 1)
    return {**files, revisions: replaced}


def migrations_folder(config: Config, home: Path) -> Path:
    """The script location: where env.py and versions/ are."""
    location = config.get_alembic_option("script_location")  # alembic.ini or [tool.alembic]
    if not location:
        if (home / "env.py").is_file():  # Flask-Migrate's alembic.ini, in migrations/
            raise CommandError(
                "add-tests: alembic.ini has no script_location (Flask-Migrate sets it "
                "itself): add `script_location = %(here)s` under [alembic] so that the "
                "tests, and plain alembic, find the revisions"
            )
        raise CommandError("add-tests: the alembic configuration has no script_location")
    folder = Path(location) if os.path.isabs(location) else home / location
    if not (folder / "env.py").is_file():
        raise CommandError(f"add-tests: no env.py in {folder}, the script_location")
    return folder


def database_urls(config: Config) -> list[URL]:
    """The URLs the configuration and the environment name: sqlalchemy.url, $DATABASE_URL."""
    urls = []
    for raw in (config.get_alembic_option("sqlalchemy.url"), os.environ.get("DATABASE_URL")):
        try:
            urls.append(make_url(raw or ""))
        except Exception:  # none, or a placeholder such as driver://user:pass@localhost/dbname
            continue
    return urls


def backend(url: URL) -> str:
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


def database_kind(config: Config) -> str:
    """postgresql, mysql or sqlite: from sqlalchemy.url, else $DATABASE_URL."""
    for url in database_urls(config):
        if backend(url) in DATABASES:
            return backend(url)
    raise CommandError(
        "add-tests: sqlalchemy.url and $DATABASE_URL name no database the tests know: "
        "give --database postgresql, mysql or sqlite"
    )


def uses_async_driver(config: Config, kind: str) -> bool:
    """Whether the repository's URL for that database names an async driver (asyncpg...)."""
    return any(
        backend(url) == kind and url.get_driver_name() in ASYNC_DRIVERS
        for url in database_urls(config)
    )


def application_package(config: Config, migrations: Path) -> str:
    """The top package of the models: from target_metadata in the configuration (the
    migration environment's `package.models:metadata`), else from env.py's imports."""
    option = config.get_alembic_option("target_metadata") or ""
    first = option.replace(",", " ").split()
    if first:
        return first[0].split(":")[0].split(".")[0]
    return env_py_package(migrations / "env.py")


def env_py_package(env_py: Path) -> str:
    """The package env.py imports the names of its `target_metadata = ...` from, if any."""
    tree = ast.parse(env_py.read_text(encoding="utf-8"))
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "target_metadata"
            for target in node.targets
        ):
            used |= {name.id for name in ast.walk(node.value) if isinstance(name, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            bound = {alias.asname or alias.name for alias in node.names}
            modules = [node.module] if bound & used else []
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names if (a.asname or a.name.split(".")[0]) in used]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top not in NOT_THE_APPLICATION and top not in sys.stdlib_module_names:
                return top
    return ""


def template_root() -> Path:
    """The cookiecutter template: the wheel's copy, else the checkout's."""
    for root in (PACKAGE_DIR / "project_template", CHECKOUT_ROOT):
        if (root / "cookiecutter.json").is_file():
            return root
    raise CommandError(
        "add-tests: this installation of alembic-template has no copy of the template's "
        "tests: install it from a checkout (pip install -e PATH) or a newer release"
    )


def template_files(root: Path) -> list[Path]:
    """The template's files a repository gets: those of tests/, and squawk's rules."""
    project = root / "{{cookiecutter.project_slug}}"
    tests = [path for path in (project / TESTS_FOLDER).iterdir() if path.suffix != ".pyc"]
    rules = [path for path in project.iterdir() if path.name.endswith(".squawk.toml{% endif %}")]
    return sorted(path for path in tests + rules if path.is_file())


def rendered_files(
    kind: str, async_driver: bool, package: str, config_format: str
) -> dict[str, str]:
    """The files that apply to this repository, by path from the configuration's folder,
    rendered as cookiecutter renders them for a generated project with these answers."""
    try:
        from cookiecutter.environment import StrictEnvironment
        from cookiecutter.generate import generate_context
        from cookiecutter.prompt import prompt_for_config
    except ImportError:
        raise CommandError(
            "add-tests renders the tests with cookiecutter: pip install 'cookiecutter>=2.6,<3'"
        ) from None
    root = template_root()
    answers = {
        "project_name": "tests",
        "package_name": package,
        "database": kind,
        "async_driver": async_driver,
        "config_format": config_format,
        "example_models": False,
        "ci_workflow": False,
    }
    context = generate_context(str(root / "cookiecutter.json"), extra_context=answers)
    context["cookiecutter"] = prompt_for_config(context, no_input=True)
    options = context["cookiecutter"].get("_jinja2_env_vars", {})
    environment = StrictEnvironment(context=context, keep_trailing_newline=True, **options)
    project = root / "{{cookiecutter.project_slug}}"
    files = {}
    for source in template_files(root):
        name = environment.from_string(source.name).render(**context)
        if name:  # a conditional name that renders empty: not for this repository
            text = environment.from_string(source.read_text(encoding="utf-8")).render(**context)
            files[source.parent.relative_to(project).joinpath(name).as_posix()] = text
    return files


def dependencies(kind: str) -> list[str]:
    """What the tests import beyond alembic and SQLAlchemy: pytest, and the drivers."""
    cookiecutter_json = template_root() / "cookiecutter.json"
    databases = json.loads(cookiecutter_json.read_text("utf-8"))["_databases"]
    squawk = [SQUAWK] if kind == "postgresql" else []
    return [*TEST_DEPENDENCIES, *squawk, *databases[kind]["packages"]]


def shown(path: Path, home: Path) -> str:
    """A path as the user knows it: relative to the configuration's folder if inside it."""
    try:
        return path.resolve().relative_to(home).as_posix()
    except ValueError:
        return str(path)


def report(home: Path, migrations: Path, kind: str, package: str) -> None:
    """What was written, what to install, how to run it, and what the repository lacks."""
    say = print  # not config.print_stdout: -q must not hide what to install
    where = shown(migrations, home)
    say(f"add-tests: wrote {home / TESTS_FOLDER}/ for the revisions of {where}/ on {kind}")
    packages = " ".join(f"'{name}'" for name in dependencies(kind))
    say(f"Add the tests' dependencies: pip install {packages}")
    server = "" if kind == "sqlite" else "TEST_DATABASE_URL=<a server to create databases on> "
    say(f"Run them: {server}pytest {TESTS_FOLDER}")
    if not package:
        say(
            "Note: no application package found; give --package NAME to check that no "
            "revision imports it"
        )
    if "DATABASE_URL" not in (migrations / "env.py").read_text(encoding="utf-8"):
        say(
            f"Note: {where}/env.py connects to sqlalchemy.url alone; the tests give it each "
            f"test database as $DATABASE_URL. Add to env.py:\n{URL_FROM_ENVIRONMENT}"
        )
