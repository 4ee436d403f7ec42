"""The project's own alembic and SQLAlchemy: alembic-template installs neither.

The package does not depend on alembic or SQLAlchemy, as pytest-django does not depend on
Django: pip would take the newest alembic, and alembic 1.20 requires SQLAlchemy 2, so
installing the package would upgrade SQLAlchemy under an application on 1.4. It runs with
the alembic the project has, and where that is missing or too old, the command stops in
one line naming the pip command that adds a new enough alembic and keeps the project's
SQLAlchemy (pip then picks the newest alembic that runs on it).

Nothing here imports alembic or SQLAlchemy: their versions come from the installed
distributions' metadata.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, version

# The oldest alembic the migration environment runs on; alembic_env_config.py has the
# same floor (env.py cannot import this package), and a test holds the two together.
OLDEST_ALEMBIC = "1.16.5"
# The oldest SQLAlchemy that alembic OLDEST_ALEMBIC runs on.
OLDEST_SQLALCHEMY = "1.4"


def version_key(text: str) -> tuple[int, ...]:
    """A release's number as a comparable tuple: 1.16.5 -> (1, 16, 5); 2.1.0b1 -> (2, 1, 0)."""
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def installed_version(name: str) -> str | None:
    """The version of distribution NAME in this environment, or None without it."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def refusal(alembic: str | None, sqlalchemy: str | None) -> str | None:
    """Why alembic-template cannot run beside these versions, in one line; None if it can."""
    if alembic and version_key(alembic) >= version_key(OLDEST_ALEMBIC):
        return None
    have = f"alembic {alembic} is installed" if alembic else "alembic is not installed"
    needs = f"alembic-template runs the project's alembic, {OLDEST_ALEMBIC} or newer, and {have}"
    if sqlalchemy and version_key(sqlalchemy) < version_key(OLDEST_SQLALCHEMY):
        return (
            f"{needs}; alembic {OLDEST_ALEMBIC} needs SQLAlchemy {OLDEST_SQLALCHEMY} or newer "
            f"and SQLAlchemy {sqlalchemy} is installed: upgrade SQLAlchemy first"
        )
    if not sqlalchemy:
        return f'{needs}: pip install "alembic>={OLDEST_ALEMBIC}"'
    return (
        f'{needs}: pip install "alembic>={OLDEST_ALEMBIC}" "SQLAlchemy=={sqlalchemy}" '
        "(naming your SQLAlchemy keeps it)"
    )


def exit_unless_alembic_runs() -> None:
    """Stop with one line unless this environment has an alembic we run with."""
    reason = refusal(installed_version("alembic"), installed_version("SQLAlchemy"))
    if reason:
        sys.exit(f"FAILED: {reason}")
