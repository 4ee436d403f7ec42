"""Virtual environments of other versions than .venv's, built from PyPI for the tests.

The rest of the suite runs with .venv. A test module that proves something on other
versions (the lowest supported, SQLAlchemy 1.4) asks for an environment of exact pins:
it is built once, and again only when the pins or this Python change (a digest stamp),
under a lock, since another pytest run in this checkout may be building it too.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import sys
from pathlib import Path

from sqlalchemy.engine import URL

from .projects import ROOT, run


def digest(requirements: list[str]) -> str:
    """A fingerprint of the pins and this Python: a change means reinstalling."""
    return hashlib.sha256("\n".join([*requirements, sys.version]).encode()).hexdigest()


def built_venv(name: str, requirements: list[str]) -> Path:
    """The python of ROOT/NAME, a venv holding these requirements, (re)built when stale."""
    venv = ROOT / name
    stamp = venv / "installed-from.sha256"
    python = venv / "bin" / "python"
    with (ROOT / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (python.exists() and stamp.exists() and stamp.read_text() == digest(requirements)):
            run(ROOT, sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv))
            pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
            run(ROOT, *pip, "--disable-pip-version-check", *requirements)
            stamp.write_text(digest(requirements))
    return python


# SQLAlchemy 1.4's last release with the lowest alembic the package allows, its drivers
# (1.4 has no psycopg 3 dialect: psycopg2), and the Flask stack of its time for
# tests/examples/flask_app: Flask-SQLAlchemy 2.5 (3.x needs SQLAlchemy 2), Flask and
# Werkzeug before 2.3 (which Flask-SQLAlchemy 2.5 does not run on), Flask-Migrate 4; and
# what add-tests' suite needs to run in that application (alembic-template's own pins).
SQLALCHEMY14 = {"SQLAlchemy": "1.4.54", "alembic": "1.16.5"}
SQLALCHEMY14_REQUIREMENTS = [
    *(f"{name}=={version}" for name, version in SQLALCHEMY14.items()),
    "psycopg2-binary>=2.9,<3",
    "PyMySQL>=1.1,<2",
    "aiosqlite>=0.20,<1",
    "Flask==2.2.5",
    "Werkzeug==2.2.3",
    "Flask-SQLAlchemy==2.5.1",
    "Flask-Migrate==4.1.0",
    "pytest>=8.1,<9",
    "pytest-alembic>=0.13.1,<0.14",
    # `alembic-template fleet`, run from the checkout (PYTHONPATH=src): its progress bar.
    "rich>=13,<15",
]
# The drivers of tests/databases.py's URLs that SQLAlchemy 1.4 lacks, and its own.
SQLALCHEMY14_DRIVERS = {"postgresql+psycopg": "postgresql+psycopg2"}


def sqlalchemy14_venv() -> Path:
    """The python of .venv-sqla14/: SQLAlchemy 1.4 (see SQLALCHEMY14_REQUIREMENTS)."""
    return built_venv(".venv-sqla14", SQLALCHEMY14_REQUIREMENTS)


def for_sqlalchemy14(url: URL) -> URL:
    """A test database's URL with a driver SQLAlchemy 1.4 has."""
    return url.set(drivername=SQLALCHEMY14_DRIVERS.get(url.drivername, url.drivername))


VERSIONS = "import alembic, sqlalchemy; print(alembic.__version__, sqlalchemy.__version__)"


DISTRIBUTIONS = (
    "import importlib.metadata as m, json; "
    "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"
)


def distributions(python: Path, cwd: Path) -> dict[str, str]:
    """What a python has installed, lowercase name to version; imports none of it."""
    return json.loads(run(cwd, str(python), "-c", DISTRIBUTIONS).stdout)


def versions(python: Path, cwd: Path) -> tuple[str, str]:
    """The alembic and SQLAlchemy a python imports, run where the commands will run."""
    alembic_version, sqlalchemy_version = run(cwd, str(python), "-c", VERSIONS).stdout.split()
    print(f"ran with alembic {alembic_version}, SQLAlchemy {sqlalchemy_version}")
    return alembic_version, sqlalchemy_version
