"""Flask-Migrate: under `flask db ...` the Flask application names the database and models.

Flask-Migrate runs env.py inside the application's context, and its own env.py takes the
database and the MetaData from the app's Flask-SQLAlchemy object
(current_app.extensions["migrate"].db), so a Flask-Migrate repository's alembic.ini names
neither. Dropped into such a repository, this env.py does the same under `flask db ...`
and flask_migrate.upgrade() called by the application: the app's database unless
DATABASE_URL is set, the app's MetaData unless ALEMBIC_TARGET_METADATA is. Plain `alembic`
runs without an app context and reads alembic's config as usual.

Nothing here imports Flask: it is looked at only once the process has imported
Flask-Migrate. It lives beside env.py; alembic_env_config.py and
alembic_env_autogenerate.py ask it.
"""

from __future__ import annotations

import sys
from typing import Any


def flask_database() -> Any | None:
    """The app's Flask-SQLAlchemy object under Flask-Migrate, in an app context; else None."""
    if "flask_migrate" not in sys.modules:
        return None  # not run by Flask-Migrate: no reason to import Flask
    import flask

    if not flask.has_app_context():
        return None
    return getattr(flask.current_app.extensions.get("migrate"), "db", None)


def flask_database_url() -> str | None:
    """The URL of the app's database (its default bind, as Flask-Migrate's env.py uses)."""
    database = flask_database()
    if database is None:
        return None
    # The password stays in this process: env.py connects with it and never prints it.
    return database.engine.url.render_as_string(hide_password=False)


def flask_metadata() -> Any | None:
    """The MetaData of the app's models (of its default bind), or None outside Flask-Migrate."""
    database = flask_database()
    if database is None:
        return None
    metadatas = getattr(database, "metadatas", None)  # Flask-SQLAlchemy 3: one per bind
    return metadatas[None] if metadatas else database.metadata
