"""All models share one MetaData; alembic's env.py imports every module in this package.

So a new model file needs no registration anywhere: autogenerate sees it.
"""

from .base import Base

# What alembic compares with (target_metadata = ...models:metadata). Only this package
# names it at module level: pytest-alembic's experimental model-registration test imports
# every module that does, and can import packages only.
metadata = Base.metadata

__all__ = ["Base", "metadata"]
