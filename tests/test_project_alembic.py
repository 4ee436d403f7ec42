"""The package installs neither alembic nor SQLAlchemy: it runs the project's own (issue 13).

Installing alembic-template must never move a project's SQLAlchemy. pip installs a
package's requirements and theirs, so this holds exactly when nothing in that closure
requires alembic or SQLAlchemy; then the package refuses, in one line, an environment
whose alembic is missing or too old, and names the pip command that keeps SQLAlchemy.
Installing it beside real SQLAlchemy 1.4 environments is tested in test_sqlalchemy14.py.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, requires

import alembic
import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from alembic_template import project_alembic
from alembic_template.project_alembic import OLDEST_ALEMBIC, refusal

from .projects import MIGRATIONS, ROOT
from .test_supported_range import LOWEST, floors
from .venvs import SQLALCHEMY14

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the template's tests also run on 3.10
    import tomli as tomllib

sys.path.insert(0, str(MIGRATIONS))
import alembic_env_config

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def installed_closure(requirements: list[str]) -> set[str]:
    """Every distribution pip installs for these requirements, read from this environment's
    metadata (extras that nobody asks for left out)."""
    seen: set[str] = set()
    pending = [Requirement(text) for text in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        environment = {**default_environment(), "extra": ""}
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        if name in seen:
            continue
        seen.add(name)
        try:
            pending.extend(Requirement(text) for text in requires(name) or [])
        except PackageNotFoundError:
            pytest.fail(f"{name}, required by the package, is not installed in this venv")
        for extra in requirement.extras:
            for text in requires(name) or []:
                nested = Requirement(text)
                if nested.marker and nested.marker.evaluate({**environment, "extra": extra}):
                    nested.marker = None  # evaluated here, for this extra
                    pending.append(nested)
    return seen


def test_nothing_the_package_installs_requires_alembic_or_sqlalchemy():
    dependencies = PYPROJECT["project"]["dependencies"]
    closure = installed_closure(dependencies)
    assert {"rich", "cookiecutter", "jinja2"} <= closure  # the walk follows requirements
    assert not closure & {"alembic", "sqlalchemy"}, sorted(closure)


def test_the_walk_finds_alembic_and_sqlalchemy_where_they_are_required():
    # The check above can fail: alembic's own closure, and an extra's, are followed.
    assert {"alembic", "sqlalchemy", "mako"} <= installed_closure(["alembic>=1.16.5"])
    assert "greenlet" in installed_closure(["SQLAlchemy[asyncio]>=2"])


def test_the_tests_install_the_alembic_they_run():
    # The package's own tests need alembic, so the test extra names it, at the floor.
    extras = PYPROJECT["project"]["optional-dependencies"]
    test_extra = [Requirement(text) for text in extras["test"]]
    (alembic_requirement,) = [r for r in test_extra if r.name == "alembic"]
    assert f">={OLDEST_ALEMBIC}" in str(alembic_requirement.specifier)


def test_one_floor_for_alembic_everywhere():
    assert alembic_env_config.OLDEST_ALEMBIC == OLDEST_ALEMBIC
    assert LOWEST["alembic"] == OLDEST_ALEMBIC  # .venv-lowest runs the floor
    assert SQLALCHEMY14["alembic"] == OLDEST_ALEMBIC  # .venv-sqla14 too
    generated = floors(ROOT / "{{cookiecutter.project_slug}}" / "pyproject.toml")
    assert generated["alembic"] == OLDEST_ALEMBIC


@pytest.mark.parametrize("alembic_version", [OLDEST_ALEMBIC, "1.19.0", "1.20.0", "2.0.0b1"])
def test_an_alembic_at_or_above_the_floor_runs(alembic_version):
    assert refusal(alembic_version, "1.4.54") is None
    assert refusal(alembic_version, "2.0.36") is None


@pytest.mark.parametrize(
    ("alembic_version", "said"),
    [
        (None, "alembic is not installed"),
        ("1.13.3", "alembic 1.13.3 is installed"),
        ("1.16.4", "alembic 1.16.4 is installed"),
        ("1.9", "alembic 1.9 is installed"),
    ],
)
@pytest.mark.parametrize("sqlalchemy_version", ["1.4.54", "2.0.36", "2.1.0b1"])
def test_a_missing_or_older_alembic_is_one_line_that_keeps_sqlalchemy(
    alembic_version, said, sqlalchemy_version
):
    line = refusal(alembic_version, sqlalchemy_version)
    assert line and "\n" not in line
    assert said in line and f"{OLDEST_ALEMBIC} or newer" in line
    command = f'pip install "alembic>={OLDEST_ALEMBIC}" "SQLAlchemy=={sqlalchemy_version}"'
    assert command in line


def test_without_sqlalchemy_the_command_names_alembic_only():
    line = refusal(None, None)
    assert line.endswith(f'pip install "alembic>={OLDEST_ALEMBIC}"')


def test_a_sqlalchemy_older_than_alembic_allows_is_named():
    line = refusal(None, "1.3.24")
    assert "SQLAlchemy 1.3.24 is installed: upgrade SQLAlchemy first" in line
    assert "pip install" not in line  # pinning 1.3.24 beside alembic 1.16.5 cannot resolve


def test_the_command_stops_in_one_line_without_alembic(monkeypatch, capsys):
    installed = {"alembic": None, "SQLAlchemy": "1.4.54"}
    monkeypatch.setattr(project_alembic, "installed_version", installed.get)
    with pytest.raises(SystemExit) as stop:
        project_alembic.exit_unless_alembic_runs()
    assert str(stop.value.code).startswith("FAILED: alembic-template runs the project's alembic")
    assert '"SQLAlchemy==1.4.54"' in str(stop.value.code)


def test_the_command_runs_with_this_alembic():
    # The real lookup: this venv's alembic passes (and a wrong lookup would not find it).
    assert project_alembic.installed_version("alembic") == alembic.__version__
    assert project_alembic.installed_version("no-such-distribution") is None
    assert project_alembic.exit_unless_alembic_runs() is None  # exits where refused


@pytest.mark.parametrize("old", ["1.16.4", "1.13.3", "1.7.7"])
def test_env_py_refuses_an_older_alembic_in_one_line(monkeypatch, old):
    monkeypatch.setattr(alembic, "__version__", old)
    with pytest.raises(alembic.util.CommandError) as refused:
        alembic_env_config.refuse_older_alembic()
    message = str(refused.value)
    assert "\n" not in message
    assert f"needs alembic {OLDEST_ALEMBIC} or newer, and alembic {old} is installed" in message
    assert re.search(r'pip install "alembic>=[\d.]+" "SQLAlchemy==[\d.]+\w*"', message)


@pytest.mark.parametrize("new_enough", [OLDEST_ALEMBIC, "1.19.2", "1.20.1", "2.0.0b1"])
def test_env_py_runs_on_the_floor_and_above(monkeypatch, new_enough):
    monkeypatch.setattr(alembic, "__version__", new_enough)
    assert alembic_env_config.refuse_older_alembic() is None  # raises where refused


def test_the_readme_shows_the_refusal_as_the_command_prints_it():
    readme = (ROOT / "README.md").read_text()
    shown = [line for line in readme.splitlines() if line.startswith("FAILED: alembic-template")]
    assert shown == [f"FAILED: {refusal(None, '1.4.54')}"]
    assert f'pip install "alembic>={OLDEST_ALEMBIC}" "SQLAlchemy==1.4.54"' in readme
