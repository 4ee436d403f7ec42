"""The pip package: its wheel, the `alembic-template` command and both `alembic init` routes.

The wheel is built from this checkout and installed into a fresh virtual environment
(once per test session), so every command here runs the installed package, never the
checkout. What `alembic init` writes is compared byte for byte with the one source, the
template's migrations folder, and with a baked project, for every file of that folder.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import alembic
import pytest
import sqlalchemy as sa

from alembic_template import templates
from alembic_template.cli import main

from .databases import table_names, throwaway_database
from .projects import MIGRATIONS, run

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the template's tests also run on 3.10
    import tomli as tomllib

pytestmark = pytest.mark.xdist_group("package")

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "alembic_template"
# Rendered by `alembic init` into the project's config; every other file is copied as is.
CONFIG_TEMPLATES = {"alembic.ini.mako", "pyproject.toml.mako"}
CONFIG_FORMATS = ("alembic.ini", "pyproject.toml")
USER_PYPROJECT = '[project]\nname = "shop"\nversion = "1.0"\n'
REVISION_FILE = re.compile(r"\d{8}_\d{6}_[0-9a-f]{12}_create_users_and_orders\.py")

# The application the user inits migrations for (see its README).
MYAPP = Path(__file__).resolve().parent / "examples" / "init-myapp" / "myapp"


def copied_files() -> list[str]:
    """What `alembic init` copies into migrations/: the top-level files of the one source."""
    return sorted(p.name for p in MIGRATIONS.iterdir() if p.is_file())


def source_files() -> dict[str, Path]:
    """Every file of the package source and of the one migrations folder, by wheel path."""
    package = {
        path.relative_to(PACKAGE.parent).as_posix(): path
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    migrations = {
        f"alembic_template/migrations/{name}": MIGRATIONS / name for name in copied_files()
    }
    # add-tests renders the template's tests/ and squawk's rules with cookiecutter.json.
    project = ROOT / "{{cookiecutter.project_slug}}"
    tests_template = [
        ROOT / "cookiecutter.json",
        *(path for path in (project / "tests").iterdir() if path.is_file()),
        *(path for path in project.iterdir() if path.name.endswith(".squawk.toml{% endif %}")),
    ]
    template = {
        f"alembic_template/project_template/{path.relative_to(ROOT).as_posix()}": path
        for path in tests_template
    }
    return {**package, **migrations, **template}


@dataclass
class Installed:
    """The wheel, and the fresh virtual environment it is installed in."""

    wheel: Path
    venv: Path
    cache: Path

    def command(self, name: str) -> str:
        return str(self.venv / ("Scripts" if os.name == "nt" else "bin") / name)

    @property
    def env(self) -> dict[str, str]:
        """The installed commands first on PATH; their template cache in a test folder."""
        bin_dir = Path(self.command("python")).parent
        path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        return {"PATH": path, "XDG_CACHE_HOME": str(self.cache)}

    def run(self, cwd: Path, name: str, *args: str, check: bool = True):
        return run(cwd, self.command(name), *args, extra_env=self.env, check=check)

    def shell(self, cwd: Path, line: str):
        """Run one command line through bash, the way the README writes it."""
        return run(cwd, "bash", "-c", line, extra_env=self.env)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel, then install it with its dependencies into a new venv (once)."""
    base = tmp_path_factory.mktemp("package")
    dist = base / "dist"
    build = [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)]
    run(ROOT, *build)
    (wheel,) = dist.glob("alembic_template-*.whl")
    venv = base / "venv"
    run(base, sys.executable, "-m", "venv", "--without-pip", str(venv))
    installed = Installed(wheel=wheel, venv=venv, cache=base / "cache")
    pip = [sys.executable, "-m", "pip", "--python", installed.command("python"), "install"]
    # The package runs the project's alembic and installs none (project_alembic.py).
    run(base, *pip, "--quiet", str(wheel), "alembic", "psycopg[binary]")
    return installed


def test_wheel_carries_every_package_file_from_its_one_source(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        packaged = {name: wheel.read(name) for name in names if ".dist-info/" not in name}
        (entry_points,) = [wheel.read(name) for name in names if name.endswith("entry_points.txt")]
    sources = source_files()
    assert set(packaged) == set(sources)
    for name, path in sources.items():
        assert packaged[name] == path.read_bytes(), f"{name} in the wheel differs from {path}"
    assert b"alembic-template = alembic_template.__main__:main" in entry_points


def test_path_prints_the_installed_template(installed, tmp_path):
    printed = installed.run(tmp_path, "alembic-template", "path").stdout.strip()
    folder = Path(printed)
    assert folder.is_absolute() and (folder / "env.py").is_file()
    env_py = (folder / "env.py").resolve()
    assert env_py.is_relative_to(installed.venv.resolve()), f"not the installed copy: {env_py}"
    assert {path.name for path in folder.iterdir()} == {*copied_files(), "alembic.ini.mako"}
    for name in copied_files():
        assert (folder / name).read_bytes() == (MIGRATIONS / name).read_bytes(), name
    as_module = installed.run(tmp_path, "python", "-m", "alembic_template", "path").stdout
    assert as_module.strip() == printed

    pyproject = installed.run(
        tmp_path, "alembic-template", "path", "--config-format", "pyproject.toml"
    ).stdout.strip()
    names = {path.name for path in Path(pyproject).iterdir()}
    assert names == {*copied_files(), *CONFIG_TEMPLATES}
    assert (Path(pyproject) / "env.py").read_bytes() == (MIGRATIONS / "env.py").read_bytes()


def test_version_names_both_packages(installed, tmp_path):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = installed.run(tmp_path, "alembic-template", "--version").stdout
    assert re.fullmatch(rf"alembic-template {re.escape(version)} \(alembic [\d.]+\)\n", shown)


def test_list_templates_shows_ours_beside_alembics(installed, tmp_path):
    listed = installed.run(tmp_path, "alembic-template", "list_templates").stdout.splitlines()
    synopsis = (MIGRATIONS / "README").read_text().splitlines()[0]
    assert f"alembic-template - {synopsis}" in listed
    assert f"alembic-template-pyproject - {synopsis}" in listed
    assert "generic - Generic single-database configuration." in listed
    assert any(line.startswith("pyproject - ") for line in listed)


def init_project(installed: Installed, project: Path, route: str, config_format: str) -> None:
    """`alembic init` by one of the two routes, as the README writes each command."""
    project.mkdir()
    if config_format == "pyproject.toml":
        (project / "pyproject.toml").write_text(USER_PYPROJECT)
    # The default format is alembic.ini: its commands are written without the option.
    option = "" if config_format == "alembic.ini" else f"--config-format {config_format}"
    if route == "stock":
        installed.shell(project, f'alembic init -t "$(alembic-template path {option})" migrations')
    else:
        installed.shell(project, f"alembic-template init {option} migrations")


def ini_options(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser


def check_ini_config(project: Path, baked: Path) -> None:
    """alembic.ini has the baked project's sections and options; ruff hooks stay optional."""
    assert not (project / "pyproject.toml").exists()
    ours, theirs = ini_options(project / "alembic.ini"), ini_options(baked / "alembic.ini")
    assert ours.sections() == theirs.sections()
    assert ours.options("alembic") == theirs.options("alembic")
    assert ours.get("alembic", "script_location") == "%(here)s/migrations"
    assert ours.get("alembic", "file_template") == theirs.get("alembic", "file_template")
    assert not ours.has_option("post_write_hooks", "hooks")  # ruff may not be installed


def check_pyproject_config(project: Path, baked: Path, baked_ini: Path) -> None:
    """[tool.alembic] is appended to the user's pyproject.toml; alembic.ini only logs."""
    text = (project / "pyproject.toml").read_text()
    assert text.startswith(USER_PYPROJECT)
    ours = tomllib.loads(text)["tool"]["alembic"]
    theirs = tomllib.loads((baked / "pyproject.toml").read_text())["tool"]["alembic"]
    # The same options as a baked project, but no ruff hooks: ruff may not be installed.
    assert set(ours) == set(theirs) - {"post_write_hooks"}
    assert ours["script_location"] == "%(here)s/migrations"
    assert ours["file_template"] == theirs["file_template"]
    logging_only = ini_options(project / "alembic.ini")
    baked_sections = ini_options(baked_ini / "alembic.ini").sections()
    logging = [name for name in baked_sections if name not in {"alembic", "post_write_hooks"}]
    assert logging_only.sections() == logging


@pytest.mark.parametrize("config_format", CONFIG_FORMATS)
@pytest.mark.parametrize("route", ["stock", "wrapper"])
def test_init_writes_the_template_byte_for_byte(installed, bake, tmp_path, route, config_format):
    project = tmp_path / "project"
    init_project(installed, project, route, config_format)
    migrations = project / "migrations"
    assert sorted(p.name for p in migrations.iterdir()) == sorted([*copied_files(), "versions"])
    assert list((migrations / "versions").iterdir()) == []
    baked = bake("default") / "migrations"
    for name in copied_files():
        written = (migrations / name).read_bytes()
        assert written == (MIGRATIONS / name).read_bytes(), f"{name} differs from the source"
        assert written == (baked / name).read_bytes(), f"{name} differs from a baked project"
    if config_format == "alembic.ini":
        check_ini_config(project, bake("default"))
    else:
        check_pyproject_config(project, bake("sqlite-pyproject"), bake("default"))


def edit_config(project: Path, config_format: str, url: sa.engine.URL, metadata: str) -> None:
    """What the user edits after init: the two placeholders, nothing else."""
    config = project / ("alembic.ini" if config_format == "alembic.ini" else "pyproject.toml")
    rendered = url.render_as_string(hide_password=False)
    if config_format == "alembic.ini":
        url_line = f"sqlalchemy.url = {rendered.replace('%', '%%')}"
        metadata_line = f"target_metadata = {metadata}"
    else:
        url_line = f'"sqlalchemy.url" = "{rendered}"'
        metadata_line = f'target_metadata = "{metadata}"'
    text = config.read_text()
    text, urls = re.subn(r'(?m)^"?sqlalchemy\.url"? = .*$', lambda _: url_line, text)
    text, metadatas = re.subn(r"(?m)^target_metadata = .*$", lambda _: metadata_line, text)
    assert (urls, metadatas) == (1, 1), "the config lost a placeholder"
    config.write_text(text)


@pytest.mark.parametrize(
    ("config_format", "kind", "cli"),
    [
        ("alembic.ini", "sqlite", "alembic"),
        ("alembic.ini", "postgresql", "alembic-template"),
        ("pyproject.toml", "sqlite", "alembic-template"),
        ("pyproject.toml", "postgresql", "alembic"),
    ],
)
def test_guide_commands_work_after_editing_only_the_config(
    installed, tmp_path, config_format, kind, cli
):
    project = tmp_path / "project"
    init_project(installed, project, "stock" if cli == "alembic" else "wrapper", config_format)
    # An ini project keeps its package beside alembic.ini, a pyproject one under src/.
    package = project / ("myapp" if config_format == "alembic.ini" else "src/myapp")
    shutil.copytree(MYAPP, package)
    with throwaway_database(kind, tmp_path) as url:
        edit_config(project, config_format, url, "myapp.models:metadata")

        installed.run(project, cli, "revision", "--autogenerate", "-m", "create users and orders")
        (revision,) = (project / "migrations" / "versions").glob("*.py")
        assert REVISION_FILE.fullmatch(revision.name), revision.name
        text = revision.read_text()
        for name in ("pk_users", "uq_users_email", "ix_orders_user_id", "fk_orders_user_id_users"):
            assert re.search(rf"\.f\('{name}'\)", text), f"{name} not named by the convention"

        installed.run(project, cli, "upgrade", "head")
        applied = {"alembic_version", "alembic_revision_checksums"}
        assert table_names(url) == {*applied, "users", "orders"}
        check = installed.run(project, cli, "check")
        assert "No new upgrade operations detected" in check.stdout
        installed.run(project, cli, "downgrade", "base")
        assert table_names(url) == {"alembic_version"}


# --- the command line, in this process -------------------------------------------------


def test_init_refuses_a_template_and_a_config_format_together(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["init", "-t", "generic", "--config-format", "alembic.ini", str(tmp_path / "m")])
    assert exited.value.code == 2
    assert "give --template or --config-format, not both" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_other_templates_still_init_through_the_wrapper(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    main(["init", "-t", "generic", "migrations"])
    stock = Path(alembic.__file__).parent / "templates" / "generic" / "env.py"
    assert (tmp_path / "migrations" / "env.py").read_bytes() == stock.read_bytes()
    assert "sqlalchemy.url = driver://" in (tmp_path / "alembic.ini").read_text()


def test_combined_folder_follows_the_template_folder(tmp_path, monkeypatch):
    """A template file added later shows up at once; a damaged folder is built again."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    template = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, template, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(templates, "CHECKOUT_MIGRATIONS_DIR", template)
    first = templates.template_path("pyproject.toml")
    assert {path.name for path in first.iterdir()} == {*copied_files(), *CONFIG_TEMPLATES}

    (template / "audit.py.mako").write_text("# a template added later\n")
    second = templates.template_path("pyproject.toml")
    assert (second / "audit.py.mako").read_text() == "# a template added later\n"
    assert (second.parent / "alembic-template" / "audit.py.mako").is_file()

    (second / "env.py").unlink()
    assert (templates.template_path("pyproject.toml") / "env.py").is_file()
    names = {path.name for path in second.parent.iterdir()}
    assert {"generic", "alembic-template", "alembic-template-pyproject"} <= names


def test_add_tests_runs_from_the_installed_package(installed, tmp_path):
    """The wheel carries the template's tests/: add-tests writes them into a repository."""
    repository = tmp_path / "existing"
    repository.mkdir()
    installed.run(repository, "alembic", "init", "migrations")
    written = installed.run(
        repository, "alembic-template", "add-tests", "--database", "sqlite", "--package", "shop"
    )
    assert "add-tests: wrote" in written.stdout, written.stdout
    tests = repository / "tests"
    assert (tests / "test_migrations.py").is_file() and (tests / "conftest.py").is_file()
    assert "{{" not in (tests / "revisions.py").read_text(), "left unrendered"
