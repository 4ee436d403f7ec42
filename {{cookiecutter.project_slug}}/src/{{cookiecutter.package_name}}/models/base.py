"""The declarative base, with the constraint naming convention every revision relies on."""

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

# Named constraints make revisions reproducible and let batch mode (SQLite) and
# downgrades drop them by name; unnamed ones get names that differ per database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
