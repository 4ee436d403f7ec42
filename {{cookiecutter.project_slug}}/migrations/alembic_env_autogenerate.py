"""What autogenerate compares: the models' MetaData, and the database objects it ignores.

Temporary tables (tmp_*, temp_*), the database's and its extensions' own tables and
schemas, and PostgreSQL partitions are never the models' business, so autogenerate must
neither create nor drop them. It lives beside env.py, which passes these to
context.configure().
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic.util import CommandError
from alembic_env_config import Settings, option_list
from alembic_env_flask import flask_metadata
from sqlalchemy.engine import Connection

log = logging.getLogger("alembic.env")

# Temporary tables by the usual naming habits; `exclude_tables` adds to these.
DEFAULT_EXCLUDED_TABLES = ("tmp_*", "temp_*")

# Tables that belong to the database or an extension, never to the application's models.
SYSTEM_TABLES = (
    "sqlite_*",  # SQLite's own bookkeeping (sqlite_sequence, sqlite_stat1, ...)
    "spatial_ref_sys",  # PostGIS
    "geometry_columns",
    "geography_columns",
    "raster_columns",
    "raster_overviews",
    "_timescaledb_*",  # TimescaleDB catalogs and chunks
    "_hyper_*",
    "alembic_backfill_progress",  # alembic_env_backfill.py's resume points
    "alembic_revision_checksums",  # alembic_env_integrity.py's applied files
)

# Schemas of the database and its extensions, skipped when include_schemas is on.
SYSTEM_SCHEMAS = (
    "information_schema",
    "pg_*",
    "mysql",
    "performance_schema",
    "sys",
    "topology",
    "tiger",
    "tiger_data",
    "_timescaledb_*",
    "timescaledb_*",
)

IncludeName = Callable[[str | None, str, dict[str, Any]], bool]


def import_submodules(package: ModuleType) -> None:
    """Import every module below a package, so autogenerate sees every model."""
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)


def load_target_metadata(settings: Settings) -> sa.MetaData | list[sa.MetaData]:
    """The models' MetaData named by target_metadata ("package.module:attribute"), or a
    list of them where it names several (models in more than one package). Under
    Flask-Migrate the app's models, unless ALEMBIC_TARGET_METADATA names others."""
    raw = settings.option("target_metadata", "ALEMBIC_TARGET_METADATA")
    specs = option_list(raw)
    from_app = None if os.environ.get("ALEMBIC_TARGET_METADATA") else flask_metadata()
    if not specs and from_app is None:
        raise CommandError(
            "target_metadata is not set: add target_metadata = yourpackage.models:metadata "
            "to alembic's config (or set ALEMBIC_TARGET_METADATA)"
        )
    for module_name in settings.names("models_modules"):
        import_models(module_name, "models_modules")
    if from_app is not None:
        return from_app
    targets = [metadata_named(spec) for spec in specs]
    for spec in specs:
        package = spec.partition(":")[0]
        for module, tables in sorted(tables_beside(targets, package).items()):
            log.warning(
                "%s keeps tables on a MetaData other than target_metadata, so autogenerate "
                "ignores them: %s; declare them on %s",
                module,
                ", ".join(sorted(tables)),
                spec,
            )
    return targets[0] if len(targets) == 1 else targets


def metadata_named(spec: str) -> sa.MetaData:
    """One "package.module:attribute" entry of target_metadata, imported and checked."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CommandError(
            f"target_metadata = {spec!r} is not module:attribute, e.g. yourpackage.models:metadata"
        )
    target: Any = import_models(module_name, f"target_metadata = {spec!r}")
    for part in attribute.split("."):
        target = getattr(target, part, None)
    if not isinstance(target, sa.MetaData):
        raise CommandError(
            f"target_metadata = {spec!r} is {type(target).__name__}, not a MetaData; "
            "point it at a MetaData, e.g. yourpackage.models:Base.metadata"
        )
    return target


def import_models(module_name: str, named_by: str) -> ModuleType:
    """Import a models module, and every module below it if it is a package."""
    try:
        module = importlib.import_module(module_name)
        if hasattr(module, "__path__"):
            import_submodules(module)
    except ImportError as error:
        raise CommandError(
            f"{named_by}: cannot import {error.name or module_name!r}; "
            "check the name and prepend_sys_path in alembic's config"
        ) from None
    return module


def tables_beside(targets: list[sa.MetaData], package: str) -> dict[str, set[str]]:
    """Tables that modules of the models package keep on another MetaData, by module.

    A second DeclarativeBase or MetaData in the models is an easy slip: autogenerate then
    says there are no changes while those tables exist only in code.
    """
    beside: dict[str, set[str]] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == package or name.startswith(package + ".")):
            continue
        for value in vars(module).values():
            if isinstance(value, sa.MetaData | sa.Table):
                metadata = value if isinstance(value, sa.MetaData) else value.metadata
            elif isinstance(value, type):
                metadata = getattr(value, "metadata", None)
            else:
                continue
            is_target = any(metadata is target for target in targets)
            if isinstance(metadata, sa.MetaData) and not is_target and metadata.tables:
                beside.setdefault(name, set()).update(metadata.tables)
    return beside


def matches(name: str, patterns: tuple[str, ...]) -> bool:
    """True when a name matches one of the fnmatch patterns, case-sensitively."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def partition_children(connection: Connection | None) -> set[tuple[str | None, str]]:
    """PostgreSQL partitions reflect as ordinary tables; autogenerate would drop them.

    Keyed (schema, table) as include_name sees them: None for the default schema.
    """
    if connection is None or connection.dialect.name != "postgresql":
        return set()
    query = sa.text(
        "SELECT CASE WHEN n.nspname = current_schema() THEN NULL ELSE n.nspname END, "
        "c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relispartition"
    )
    return {(schema, name) for schema, name in connection.execute(query)}


def name_filter(excluded_tables: list[str], connection: Connection | None) -> IncludeName:
    """Build include_name: what autogenerate reflects from the database at all."""
    patterns = DEFAULT_EXCLUDED_TABLES + SYSTEM_TABLES + tuple(excluded_tables)
    # Looked up on first use, inside alembic's transaction: a query made before
    # context.configure() would open a transaction that alembic then never commits.
    partitions = functools.cache(lambda: partition_children(connection))

    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "schema":
            return name is None or not matches(name, SYSTEM_SCHEMAS)
        if type_ == "table":
            key = (parent_names.get("schema_name"), name)
            return not matches(name or "", patterns) and key not in partitions()
        return True

    return include_name


def marked_to_skip(obj: Any, type_: str) -> bool:
    """Model tables marked info={"skip_autogenerate": True} (views, foreign tables)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return isinstance(table, sa.Table) and bool(table.info.get("skip_autogenerate"))
