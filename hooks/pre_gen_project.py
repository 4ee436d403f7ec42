"""Refuse answers that would bake a broken project, before any file is written.

cookiecutter renders this file with Jinja, runs it with the new project as working
directory, and removes the project when it exits non-zero. Standard library only: it runs
under cookiecutter's own Python. The answers are read in one place, the two constants
below, as JSON text, so that any value (quotes, backslashes, non-ASCII) reaches Python
intact and the module still imports unrendered, for its unit tests.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata

PROJECT_SLUG_JSON = r""" {{ cookiecutter.project_slug | tojson }} """
PACKAGE_NAME_JSON = r""" {{ cookiecutter.package_name | tojson }} """

# A directory name and a distribution name (PEP 508) at once, kept lowercase.
SLUG_PATTERN = re.compile(r"[a-z](?:[a-z0-9_-]*[a-z0-9])?")
PACKAGE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Importing the project's package must not hide a module the project itself imports:
# its libraries and drivers, and its own top-level folders. Compared case-insensitively.
SHADOWED_MODULES = frozenset(
    {
        *("alembic", "sqlalchemy", "mako", "greenlet"),
        *("psycopg", "psycopg2", "pymysql", "MySQLdb", "asyncpg", "aiomysql", "aiosqlite"),
        *("pytest", "pytest_alembic", "ruff"),
        *("migrations", "test", "tests"),
    }
)
SHADOWED_BY_LOWERCASE = {module.lower(): module for module in SHADOWED_MODULES}
# migrations/ is on sys.path beside src/, so its modules and the package share one namespace:
# env.py, every alembic_env_*.py (a prefix, so a new module is covered without a change
# here), and backfill and safe_ddl, the names those helpers had in older projects.
MIGRATION_MODULES = frozenset({"env", "backfill", "safe_ddl"})
MIGRATION_PREFIX = "alembic_env_"
STDLIB_MODULES = frozenset(name.lower() for name in getattr(sys, "stdlib_module_names", ()))
FALLBACK_SLUG = "my-project"


def ascii_words(text: str) -> list[str]:
    """The lowercase ASCII letter-and-digit runs of `text`, accents dropped (é -> e)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", plain.lower())


def suggest_slug(slug: str) -> str:
    """A valid project_slug close to `slug`: lowercase, dashes, starting with a letter."""
    candidate = "-".join(ascii_words(slug)).lstrip("0123456789-")
    return candidate if SLUG_PATTERN.fullmatch(candidate) else FALLBACK_SLUG


def suggest_package(name: str) -> str:
    """A valid package_name close to `name`, for the error message to offer."""
    candidate = "_".join(ascii_words(name)).lstrip("0123456789_")
    if not candidate:
        return suggest_slug(name).replace("-", "_")
    # A refused name stays recognisable: class_db, alembic_db, my_alembic_env_locks.
    for option in (candidate, f"{candidate}_db", f"my_{candidate}"):
        if not package_problem(option):
            return option
    return FALLBACK_SLUG.replace("-", "_")


def slug_problem(slug: str) -> str | None:
    """What is wrong with a project_slug, or None when it is usable."""
    if not slug:
        return "project_slug is empty"
    if not SLUG_PATTERN.fullmatch(slug):
        return (
            f"project_slug {slug!r} must be lowercase letters, digits, dashes and "
            "underscores, starting with a letter and ending with a letter or digit"
        )
    return None


def package_problem(name: str) -> str | None:
    """What is wrong with a package_name, or None when it is usable."""
    if not name:
        return "package_name is empty"
    if not PACKAGE_PATTERN.fullmatch(name):
        return (
            f"package_name {name!r} is not a Python identifier (ASCII letters, digits "
            "and underscores, not starting with a digit)"
        )
    if keyword.iskeyword(name):
        return f"package_name {name!r} is a Python keyword"
    if name.lower() in MIGRATION_MODULES:
        return (
            f"package_name {name!r} would shadow the {name.lower()!r} module of the "
            "migration environment"
        )
    if name.lower().startswith(MIGRATION_PREFIX):
        return (
            f"package_name {name!r} starts with {MIGRATION_PREFIX!r}, the prefix of the "
            "migration environment's modules"
        )
    if name.lower() in SHADOWED_BY_LOWERCASE:
        module = SHADOWED_BY_LOWERCASE[name.lower()]
        return f"package_name {name!r} would shadow the {module!r} module the project uses"
    if name.lower() in STDLIB_MODULES:
        return f"package_name {name!r} would shadow the standard library module {name.lower()!r}"
    return None


def error_line(problem: str, suggestion: str) -> str:
    """The one line a person sees: what is wrong, then what to type instead."""
    return f"ERROR: {problem}; type a name such as {suggestion} instead"


def check(slug: str, package: str) -> str | None:
    """The error line for the first bad answer, or None when both are usable."""
    problem = slug_problem(slug)
    if problem:
        return error_line(problem, suggest_slug(slug))
    problem = package_problem(package)
    if problem:
        return error_line(problem, suggest_package(package))
    return None


def main() -> int:
    """Validate the rendered answers; print one ERROR line and return 1 on a bad one."""
    error = check(json.loads(PROJECT_SLUG_JSON), json.loads(PACKAGE_NAME_JSON))
    if error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
