"""The project's revision files: their order, and what their source code says.

A revision that cannot be undone says so in its downgrade, and the tests respect that:

    def downgrade() -> None:
        raise NotImplementedError("the old prices are gone")

A revision whose upgrade deletes rows on purpose says so at module level, and
test_rows_survive.py lets those rows go:

    deletes_rows = "duplicate accounts are merged into the oldest one"
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import Script, ScriptDirectory

# The module-level name that declares an upgrade deleting rows on purpose.
DELETES_ROWS = "deletes_rows"
# Names of a revision file whose strings are identifiers, not data.
REVISION_NAMES = {"revision", "down_revision", "branch_labels", "depends_on", DELETES_ROWS}
# A string holding SQL: its quoted literals and numbers are the data it names.
SQL_WORDS = re.compile(r"\b(select|insert|update|delete|where|set|values)\b", re.IGNORECASE)
SQL_STRING = re.compile(r"'((?:[^']|'')*)'")
SQL_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
# Revisions must not import the application: its models change, a revision must not.
APPLICATION_PACKAGE = "{{ cookiecutter.package_name }}"
PROJECT = Path(__file__).resolve().parent.parent
# Beside tests/; `alembic-template add-tests` writes where else it is (Flask-Migrate's).
ALEMBIC_INI = PROJECT / "alembic.ini"


def project_config() -> Config:
    """Alembic's configuration of this project, wherever pytest was started from."""
    ini = ALEMBIC_INI if ALEMBIC_INI.is_file() else None
    return Config(file_=ini, toml_file=PROJECT / "pyproject.toml")


@functools.cache
def script_directory() -> ScriptDirectory:
    """migrations/versions/, read once per test session."""
    return ScriptDirectory.from_config(project_config())


def revision_scripts() -> list[Script]:
    """Every revision of migrations/versions/, oldest first (each after those it revises)."""
    return list(reversed(list(script_directory().walk_revisions())))


def prerequisites(script: Script) -> tuple[str, ...]:
    """What must be applied before the revision: its down revisions, then its dependencies."""
    names = [*as_tuple(script.down_revision), *as_tuple(script.dependencies)]
    # A dependency may be named by a branch label: resolve it to its revision.
    found = (script_directory().get_revision(name) for name in names)
    return tuple(dict.fromkeys(revision.revision for revision in found if revision))


def as_tuple(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


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


def declared_row_deletion(script: Script) -> str | None:
    """The reason in a module-level `deletes_rows = "why"`, if the revision has one."""
    for node in parsed(script.path).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        value = getattr(node, "value", None)
        if any(isinstance(t, ast.Name) and t.id == DELETES_ROWS for t in targets):
            return value.value if isinstance(value, ast.Constant) else ast.unparse(value)
    return None


def revision_literals(script: Script) -> list[object]:
    """The strings, numbers and booleans a revision writes or filters on, in file order.

    Docstrings and the revision identifiers are left out. A string of SQL gives its quoted
    literals and numbers; a LIKE pattern ('pref\\_%') also gives its fixed part ('pref_').
    """
    tree = parsed(script.path)
    docstrings = {id(body[0].value) for body in docstring_owners(tree)}  # type: ignore[attr-defined]
    found: list[object] = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign) and assigns(
            statement, REVISION_NAMES
        ):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Constant) and id(node) not in docstrings:
                found.extend(literals_in(node.value))
    # True == 1 in Python: keep both, told apart by their type.
    return [value for _, value in dict.fromkeys((type(value), value) for value in found)]


def docstring_owners(tree: ast.Module) -> list[list[ast.stmt]]:
    """The bodies of the module, functions and classes that open with a docstring."""
    owners = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [
        node.body
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    ]


def assigns(statement: ast.Assign | ast.AnnAssign, names: set[str]) -> bool:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return any(isinstance(target, ast.Name) and target.id in names for target in targets)


def literals_in(value: object) -> list[object]:
    """The data values a constant of a revision names."""
    if isinstance(value, bool | int | float):
        return [value]
    if not isinstance(value, str) or not value:
        return []
    if "'" in value or SQL_WORDS.search(value):
        quoted = [text.replace("''", "'") for text in SQL_STRING.findall(value)]
        numbers = [
            float(n) if "." in n else int(n) for n in SQL_NUMBER.findall(SQL_STRING.sub("", value))
        ]
        return [*quoted, *numbers, *(like_prefix(text) for text in quoted if "%" in text)]
    return [value, like_prefix(value)] if "%" in value else [value]


def like_prefix(pattern: str) -> str:
    """The text a LIKE pattern fixes: 'pref\\_%' -> 'pref_'."""
    return re.sub(r"\\(.)", r"\1", pattern.replace("%", ""))


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
