"""Tenants: `alembic -x tenant=NAME <command>` runs a command for one tenant.

On PostgreSQL a tenant is a schema. Every connection of the migration (its own, and
backfill()'s) gets the schema alone as its search_path before anything else runs on it,
so revisions' unqualified names, reflection and autogenerate are the tenant's; alembic's
version table is written into the schema by name, and the migration lock is the
tenant's (alembic_env_locks.py names it after the version table). On MySQL and
MariaDB a tenant is a database: the URL's database is replaced by it. SQLite has
neither: a tenant there is a database file of its own, named by the URL.

A tenant that does not exist is refused in one line, unless -x create_tenant=true asks
for it to be created; so is a tenant with include_schemas on. It lives beside env.py,
which asks it for the tenant's URL, engine, configure() options and, offline, the SQL
that selects the tenant.
"""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

import sqlalchemy as sa
from alembic.util import CommandError
from alembic_env_config import is_true, redacted
from sqlalchemy.engine import URL

# Unquoted identifiers both databases accept alike: lowercase, so that PostgreSQL (which
# folds unquoted names to lowercase) and MySQL on Linux (case-sensitive) mean one thing;
# 63 is PostgreSQL's limit.
TENANT_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Schemas and databases of the servers themselves.
SYSTEM_NAMES = re.compile(r"pg_.*|information_schema|mysql|performance_schema|sys")
MYSQL = ("mysql", "mariadb")


class Tenant:
    """The tenant named by -x tenant=NAME; without one, everything passes through as is."""

    def __init__(self, name: str | None = None, create: bool = False) -> None:
        self.name = name
        self.create = create
        self.server: URL | None = None  # the engine's URL, for messages

    @classmethod
    def chosen(cls, x_arguments: dict[str, Any], include_schemas: bool = False) -> Tenant:
        """The tenant of this command, its name checked, from alembic's -x arguments."""
        raw = x_arguments.get("tenant")
        if raw is None:
            return cls()
        if include_schemas:
            # Autogenerate would compare every schema with the models, the other tenants'
            # too, and write revisions dropping their tables.
            raise CommandError(
                "-x tenant compares the tenant's schema alone: turn include_schemas off"
            )
        name = str(raw)
        if not TENANT_NAME.fullmatch(name) or SYSTEM_NAMES.fullmatch(name):
            raise CommandError(
                f"-x tenant={name!r} is not a tenant name: use lowercase letters, digits and "
                "_ (at most 63, not starting with a digit), and not a system schema"
            )
        return cls(name, create=is_true(x_arguments.get("create_tenant")))

    def url(self, url: URL) -> URL:
        """The URL to migrate: on MySQL the tenant's database replaces the URL's."""
        if self.name is None:
            return url
        backend = url.get_backend_name()
        if backend == "sqlite":
            raise CommandError(
                "SQLite has no schemas to hold tenants: run without -x tenant, with "
                "DATABASE_URL naming the tenant's own database file"
            )
        return url.set(database=self.name) if backend in MYSQL else url

    def engine(self, engine: Any) -> Any:
        """The engine, its connections made to select the tenant before first use."""
        if self.name is None:
            return engine
        sync_engine = getattr(engine, "sync_engine", engine)  # an AsyncEngine's own
        self.server = sync_engine.url
        if sync_engine.dialect.name in MYSQL:
            sa.event.listen(sync_engine, "do_connect", self.connect_to_database)
        else:
            # insert=True: before SQLAlchemy's first look at a new connection, so that its
            # default schema (what reflection and autogenerate compare) is the tenant's.
            sa.event.listen(sync_engine, "connect", self.set_search_path, insert=True)
        return engine

    def refuse_handed_over(self) -> None:
        """A caller's connection is in the caller's session: env.py does not change it."""
        if self.name is not None:
            raise CommandError(
                '-x tenant needs env.py\'s own connection, not config.attributes["connection"]: '
                "set the tenant's search_path (or database) on the connection you hand over"
            )

    def configure_options(self, dialect_name: str) -> dict[str, Any]:
        """context.configure() options: on PostgreSQL, the version table's schema."""
        if self.name is None or dialect_name in MYSQL:
            return {}
        return {"version_table_schema": self.name}

    def excluded_tables(self, dialect_name: str) -> list[str]:
        """The version table, which autogenerate would drop: alembic leaves it out only when
        version_table_schema is the default schema by name (None)."""
        return ["alembic_version"] if self.configure_options(dialect_name) else []

    def statements(self, dialect_name: str) -> list[str]:
        """Offline (--sql): the statements that create, if asked, and select the tenant."""
        if self.name is None:
            return []
        if dialect_name in MYSQL:
            create, select = "CREATE DATABASE IF NOT EXISTS `{}`", "USE `{}`"
        else:
            create, select = 'CREATE SCHEMA IF NOT EXISTS "{}"', 'SET search_path TO "{}"'
        return [s.format(self.name) for s in ([create] if self.create else []) + [select]]

    def missing(self, dialect_name: str) -> CommandError:
        """One line for a tenant that does not exist, saying how to create it."""
        assert self.server is not None
        if dialect_name in MYSQL:
            server = self.server._replace(database=None)  # set() cannot unset a part
            where = f"no database {self.name} on {redacted(server)}"
            create = f"CREATE DATABASE `{self.name}`"
        else:
            where = f"no schema {self.name} in {redacted(self.server)}"
            create = f'CREATE SCHEMA "{self.name}"'
        return CommandError(
            f"tenant {self.name!r} does not exist ({where}): create it with {create}, "
            "or upgrade with -x create_tenant=true"
        )

    def set_search_path(self, dbapi_connection: Any, record: Any) -> None:
        """PostgreSQL: create the schema if asked, refuse it if missing, put it on the path."""
        with closing(dbapi_connection.cursor()) as cursor:
            if self.create:
                cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.name}"')
            # The name is checked against TENANT_NAME: it is safe to write into SQL.
            cursor.execute(f"SELECT 1 FROM pg_namespace WHERE nspname = '{self.name}'")
            exists = cursor.fetchone() is not None
            if exists:
                cursor.execute(f'SET search_path TO "{self.name}"')
        dbapi_connection.commit()  # a SET inside a rolled-back transaction would be undone
        if not exists:
            dbapi_connection.close()
            raise self.missing("postgresql")

    def connect_to_database(
        self, dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]
    ) -> Any:
        """MySQL: connect without a database, create it if asked, refuse it if missing."""
        for key in ("database", "db"):  # PyMySQL, aiomysql and mysqlclient spellings
            cparams.pop(key, None)
        dbapi_connection = dialect.connect(*cargs, **cparams)
        with closing(dbapi_connection.cursor()) as cursor:
            if self.create:
                cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{self.name}`")
            cursor.execute(
                f"SELECT 1 FROM information_schema.schemata WHERE schema_name = '{self.name}'"
            )
            exists = cursor.fetchone() is not None
            if exists:
                cursor.execute(f"USE `{self.name}`")
        if not exists:
            dbapi_connection.close()
            raise self.missing(dialect.name)
        return dbapi_connection
