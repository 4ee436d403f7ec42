"""The shop's models; stock env.py sees the modules imported here."""

from .base import Base, metadata
from .customers import Customer

__all__ = ["Base", "Customer", "metadata"]
