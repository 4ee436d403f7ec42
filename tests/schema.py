"""Reading a live database's schema back, to compare and to check constraint names."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

# The migration environment's own tables: bookkeeping, not the application's schema (an
# online upgrade keeps checksums of applied files, an offline script does not).
ENVIRONMENT_TABLES = {"alembic_revision_checksums", "alembic_backfill_progress"}


def snapshot(url: URL) -> dict[str, Any]:
    """Tables, columns, keys, indexes and constraints of a database, as plain data."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        return {
            table: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"])
                    for c in inspector.get_columns(table)
                ],
                "primary_key": inspector.get_pk_constraint(table),
                "foreign_keys": sorted(
                    (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
                    for fk in inspector.get_foreign_keys(table)
                ),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                "checks": sorted(c["name"] or "" for c in inspector.get_check_constraints(table)),
            }
            for table in sorted(inspector.get_table_names())
            if table not in ENVIRONMENT_TABLES
        }
    finally:
        engine.dispose()


def convention_violations(url: URL) -> list[str]:
    """Constraint and index names in the live schema that break the naming convention."""
    found = []
    for table, shape in snapshot(url).items():
        if table == "alembic_version":
            continue
        # MySQL names every primary key PRIMARY whatever it was created as, and
        # SQLAlchemy reflects that name as None.
        pk_name = shape["primary_key"].get("name")
        if pk_name != f"pk_{table}" and url.get_backend_name() != "mysql":
            found.append(f"{table}: primary key {pk_name!r}")
        for name, columns, referred in shape["foreign_keys"]:
            if name != f"fk_{table}_{columns[0]}_{referred}":
                found.append(f"{table}: foreign key {name!r}")
        for name, columns in shape["unique"]:
            if name not in (f"uq_{table}_{columns[0]}", f"ix_{table}_{columns[0]}"):
                found.append(f"{table}: unique constraint {name!r}")
        for name, columns, _ in shape["indexes"]:
            # MySQL backs unique constraints and foreign keys with indexes of their names.
            allowed = {f"ix_{table}_{columns[0]}", f"uq_{table}_{columns[0]}"}
            allowed |= {fk[0] for fk in shape["foreign_keys"]}
            if name not in allowed:
                found.append(f"{table}: index {name!r}")
        for name in shape["checks"]:
            if not name.startswith(f"ck_{table}_"):
                found.append(f"{table}: check constraint {name!r}")
    return found
