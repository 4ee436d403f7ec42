"""A Flask application as Flask-Migrate's documentation sets one up: an app factory,
Flask-SQLAlchemy's `db` and Flask-Migrate's `migrate` extensions, models in a module."""

import json
import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

# Flask-SQLAlchemy's documented naming convention, so every constraint has a name.
db = SQLAlchemy(
    metadata=MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
)
migrate = Migrate()


def create_app() -> Flask:
    """The application; its database is SHOP_DATABASE_URI (and SHOP_ENGINE_OPTIONS, JSON),
    as its deployment sets them."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["SHOP_DATABASE_URI"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = json.loads(
        os.environ.get("SHOP_ENGINE_OPTIONS", "{}")
    )
    app.config["SQLALCHEMY_TRACK_MODIFICATIONS"] = False  # Flask-SQLAlchemy 2.x warns without
    db.init_app(app)
    migrate.init_app(app, db)
    from . import models  # noqa: F401 - the models join db.metadata

    return app
