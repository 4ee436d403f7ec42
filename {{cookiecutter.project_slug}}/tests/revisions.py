"""The project's revision files: their order, and what their source code says.

A revision that cannot be undone says so in its downgrade, and the tests respect that:

    def downgrade() -> None:
        raise NotImplementedError("the old prices are gone")
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import Script, ScriptDirectory

# Revisions must not import the application: its models change, a revision must not.
APPLICATION_PACKAGE = "{{ cookiecutter.package_name }}"
PROJECT = Path(__file__).resolve().parent.parent


def project_config() -> Config:
    """Alembic's configuration of this project, wherever pytest was started from."""
    ini = PROJECT / "alembic.ini"
    return Config(file_=ini if ini.is_file() else None, toml_file=PROJECT / "pyproject.toml")


def revision_scripts() -> list[Script]:
    """Every revision of migrations/versions/, oldest first."""
    scripts = ScriptDirectory.from_config(project_config()).walk_revisions()
    return list(reversed(list(scripts)))


@functools.cache
def parsed(path: str) -> ast.Module:
    """A revision file's syntax tree."""
    return ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)


def function(script: Script, name: str) -> ast.FunctionDef | None:
    """The module-level function `name` of a revision file, if it has one."""
    for node in parsed(script.path).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def does_nothing(definition: ast.FunctionDef) -> bool:
    """True for a function whose body is only a docstring, `pass` or `...`."""
    return all(
        isinstance(node, ast.Pass)
        or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        for node in definition.body
    )


def irreversible_reason(script: Script) -> str | None:
    """The message of a top-level `raise NotImplementedError(...)` in downgrade(), if any."""
    downgrade = function(script, "downgrade")
    for node in downgrade.body if downgrade else []:
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
            arguments = node.exc.args if isinstance(node.exc, ast.Call) else []
            if not arguments:
                return "no reason given"
            message = arguments[0]
            return message.value if isinstance(message, ast.Constant) else ast.unparse(message)
    return None


def application_imports(script: Script) -> list[str]:
    """Each import of the application's package in a revision file, as `file:line: module`."""
    found = []
    for node in ast.walk(parsed(script.path)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            if module == APPLICATION_PACKAGE or module.startswith(f"{APPLICATION_PACKAGE}."):
                found.append(f"{Path(script.path).name}:{node.lineno}: imports {module}")
    return found


def downgrade_floor() -> str | None:
    """The revision below the newest irreversible one: pytest-alembic downgrades no further.

    Given as pytest-alembic's `minimum_downgrade_revision`, it makes the built-in tests stop
    there without a warning.
    """
    scripts = revision_scripts()
    floor = None
    for index, script in enumerate(scripts):
        if irreversible_reason(script) is not None:
            floor = scripts[index - 1].revision if index else "base"
    return floor


def revision_params() -> list:
    """One pytest parameter per revision, oldest first; irreversible ones are skipped."""
    params = []
    for script in revision_scripts():
        reason = irreversible_reason(script)
        skip = pytest.mark.skip(reason=f"{script.revision} is irreversible: {reason}")
        marks = [skip] if reason else []
        params.append(pytest.param(script.revision, id=script.revision, marks=marks))
    if not params:
        skip = pytest.mark.skip(reason="no revisions yet in migrations/versions/")
        params.append(pytest.param(None, id="no-revisions", marks=skip))
    return params
