"""All models share one MetaData; alembic's env.py imports every module in this package.

So a new model file needs no registration anywhere: autogenerate sees it.
"""

from .base import Base, metadata

__all__ = ["Base", "metadata"]
