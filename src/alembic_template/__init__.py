"""alembic-template: a production-ready Alembic migration environment.

`template_path()` is the folder to give `alembic init -t`; the `alembic-template` command
(cli.py) prints it and runs alembic with our templates listed beside alembic's own.
`migrations_dir()` is the migration environment itself, for copying into a project.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .templates import migrations_dir, template_path

try:
    __version__ = version("alembic-template")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__", "migrations_dir", "template_path"]
