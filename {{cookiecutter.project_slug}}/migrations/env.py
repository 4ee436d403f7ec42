"""Alembic migration environment from alembic-template.

Nothing in this file needs editing: it is configured from alembic's config (the
``[alembic]`` section of alembic.ini or ``[tool.alembic]`` in pyproject.toml) and from
environment variables, which win over the config:

    option                   environment variable             default
    sqlalchemy.url           DATABASE_URL                     (required)
    target_metadata          ALEMBIC_TARGET_METADATA          (required to autogenerate)
    models_modules           ALEMBIC_MODELS_MODULES           (none)
    exclude_tables           ALEMBIC_EXCLUDE_TABLES           (none)
    include_schemas          ALEMBIC_INCLUDE_SCHEMAS          false
    compare_server_default   ALEMBIC_COMPARE_SERVER_DEFAULT   true
    lock_timeout             ALEMBIC_LOCK_TIMEOUT             500ms
    lock_retries             ALEMBIC_LOCK_RETRIES             10
    statement_timeout        ALEMBIC_STATEMENT_TIMEOUT        10min
    index_statement_timeout  ALEMBIC_INDEX_STATEMENT_TIMEOUT  2h
    migration_lock_timeout   ALEMBIC_MIGRATION_LOCK_TIMEOUT   10min
    max_replica_lag          ALEMBIC_MAX_REPLICA_LAG          10s
    replica_urls             ALEMBIC_REPLICA_URLS             (none)

``alembic -x verbose=true upgrade head`` also logs each SQL statement as it runs, and
``alembic -x template=data revision -m "..."`` picks the kind of revision to write
(schema, data or stairway). ``alembic -x tenant=NAME upgrade head`` runs a command for one
tenant: a PostgreSQL schema or a MySQL database (``-x create_tenant=true`` creates it).

The policy is in the two context.configure() calls below; the machinery is in the
alembic_env_*.py modules beside this file, one concern each:

    alembic_env_config.py        options, the database URL, the engine, logging
    alembic_env_autogenerate.py  the models' MetaData, and what autogenerate ignores
    alembic_env_flask.py         under Flask-Migrate: the app's database and models
    alembic_env_compare.py       comparison by meaning: defaults, identity, enum labels
    alembic_env_revisions.py     which template, stairway and safe-addition revisions
    alembic_env_locks.py         timeouts, lock retries, one migrator at a time
    alembic_env_integrity.py     applied revision files may not change or go
    alembic_env_backfill.py      backfill(), for data revisions
    alembic_env_replicas.py      backfill() waits while a read replica lags behind
    alembic_env_safe_ddl.py      schema changes safe on a busy database, for revisions
    alembic_env_mysql_online.py  MySQL: each ALTER asks to run online, or is refused
    alembic_env_tenants.py       -x tenant=NAME: a PostgreSQL schema or a MySQL database

and one that env.py does not import, a command of its own: alembic_env_history.py squashes
the history into one baseline, or rebases one branch onto the other head.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.util import CommandError
from sqlalchemy.engine import Connection

# The alembic_env_* modules sit beside this file (revisions find them through
# prepend_sys_path; env.py does not depend on it).
sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    from alembic_env_autogenerate import load_target_metadata, marked_to_skip, name_filter
    from alembic_env_backfill import forget_backfills, refuse_changes_before_backfills
    from alembic_env_compare import (
        ALEMBIC_COMPARATORS,
        register_comparators,
        render_portable,
        server_defaults,
    )
    from alembic_env_config import (
        Settings,
        configure_logging,
        is_true,
        make_engine,
        run_on_engine,
        run_on_handed_over,
    )
    from alembic_env_integrity import record_checksums, verify_applied_history
    from alembic_env_locks import (
        ChangesSinceRevision,
        migration_lock,
        run_with_retries,
        timeout_statements,
    )
    from alembic_env_mysql_online import register_online_ddl
    from alembic_env_revisions import chosen_template, revision_planner, template_arguments
    from alembic_env_tenants import Tenant
except ModuleNotFoundError as missing:
    if not str(missing.name).startswith("alembic_env_"):
        raise
    raise CommandError(
        f"{missing.name}.py is missing beside env.py: copy every alembic_env_*.py file "
        "from alembic-template with it"
    ) from None

config = context.config
settings = Settings(config)
x_arguments = context.get_x_argument(as_dictionary=True)
# -x tenant=NAME: a PostgreSQL schema or a MySQL database (alembic_env_tenants.py).
tenant = Tenant.chosen(x_arguments, include_schemas=settings.flag("include_schemas"))


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode: write the SQL instead of executing it.

    No connection is made, so nothing is reflected: review the output, then apply it
    with the database's own client.
    """
    url = tenant.url(settings.database_url())
    context.configure(
        url=url,
        # Values are written into the SQL, for the database's own client to run.
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        # Only autogenerate and check compare with the models; applying never imports them.
        target_metadata=target_metadata(),
        # A changed column type is a change (alembic's default since 1.12, said here).
        compare_type=True,
        # A changed server default is a change too, compared by meaning (alembic leaves this
        # off by default); compare_server_default = false turns it off.
        compare_server_default=server_defaults(settings),
        # sa.true(), sa.false(), sa.func.now() stay themselves in revisions, so that one
        # made on SQLite runs on PostgreSQL.
        render_item=render_portable,
        # alembic's comparators of today by name: an alembic upgrade cannot change silently
        # what check reports.
        autogenerate_plugins=ALEMBIC_COMPARATORS,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=url.get_backend_name() == "sqlite",
        # Other schemas only when asked: most applications live in one.
        include_schemas=settings.flag("include_schemas"),
        # Never temporary, system or extension tables (nothing is reflected offline anyway).
        include_name=name_filter(
            settings.names("exclude_tables") + tenant.excluded_tables(url.get_backend_name()),
            connection=None,
        ),
        # Model objects to leave out: see include_object() below.
        include_object=include_object,
        # Stairways split in three; indexes on existing tables get a revision of their own.
        process_revision_directives=plan_revisions,
        # What script.py.mako needs: the kind of revision, and each stairway step's phase.
        template_args=TEMPLATE_ARGS,
        # Each revision commits alone, so a failure keeps the revisions before it.
        transaction_per_migration=True,
        # MySQL: each ALTER asks for ALGORITHM=INSTANT or INPLACE, LOCK=NONE, so the server
        # refuses instead of copying the table under a lock, unless the revision allows it.
        mysql_online_ddl=True,
        # On PostgreSQL a tenant's version table is in its schema.
        **tenant.configure_options(url.get_backend_name()),
        # Read by the safe steps and backfill() through op.get_context().opts.
        **TIMEOUTS,
        **YOUR_CONFIGURE_OPTIONS,
    )
    # The reviewed script selects the tenant and bounds its lock waits, for the session
    # that applies it.
    backend = url.get_backend_name()
    for statement in tenant.statements(backend) + session_timeouts(backend):
        context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode, on a connection to the database.

    Tests and applications calling alembic.command may hand over a connection or an
    engine in config.attributes["connection"] (see alembic_env_config.run_on_handed_over).
    """
    handed_over = config.attributes.get("connection")
    if handed_over is not None:
        tenant.refuse_handed_over()
        run_on_handed_over(handed_over, do_run_migrations)
    elif not settings.needs_database():
        # revision_environment runs env.py for `revision`, `merge` and `history` too; they
        # only need a migration context, not the real database: an in-memory one will do,
        # without announcing itself as the database.
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
        with sa.create_engine("sqlite://", future=True).connect() as connection:
            do_run_migrations(connection)
    else:
        engine = tenant.engine(make_engine(tenant.url(settings.database_url())))
        run_on_engine(engine, do_run_migrations, made_here=True)


def do_run_migrations(connection: Connection, own_connection: bool = True) -> None:
    """Run the migrations on one open connection.

    On a connection of its own, env.py bounds lock waits and statements, retries a
    revision that timed out on a lock, and lets one migrator run at a time. A connection
    handed over by the caller is used as it is: its session is the caller's.
    """
    changes = ChangesSinceRevision(connection)
    context.configure(
        connection=connection,
        # Once a revision is recorded: count its successor's changes afresh (may a failed
        # one be retried?), forget its finished backfills, kept until then for a rerun,
        # and store its file's checksum (a later edit of the file is refused).
        on_version_apply=(changes.revision_recorded, forget_backfills, record_checksums),
        # The same policy as offline; see run_migrations_offline() for each option's why.
        target_metadata=target_metadata(),
        compare_type=True,
        compare_server_default=server_defaults(settings, connection.dialect),
        render_item=render_portable,
        autogenerate_plugins=ALEMBIC_COMPARATORS,
        render_as_batch=connection.dialect.name == "sqlite",
        include_schemas=settings.flag("include_schemas"),
        # Also PostgreSQL partitions, which reflect as tables autogenerate would drop.
        include_name=name_filter(
            settings.names("exclude_tables") + tenant.excluded_tables(connection.dialect.name),
            connection,
        ),
        include_object=include_object,
        process_revision_directives=plan_revisions,
        template_args=TEMPLATE_ARGS,
        transaction_per_migration=True,
        mysql_online_ddl=True,
        # On PostgreSQL a tenant's version table is in its schema; see above for the rest.
        **tenant.configure_options(connection.dialect.name),
        **TIMEOUTS,
        **YOUR_CONFIGURE_OPTIONS,
    )
    # Before anything runs: applied revisions must be as they were applied, and a change
    # before a backfill would be committed half-way.
    accepted = str(x_arguments.get("accept_edited", "")).replace(",", " ").split()
    verify_applied_history(context.get_context(), context.script, accepted)
    refuse_changes_before_backfills(context.get_context())
    if not own_connection:
        try:
            with context.begin_transaction():
                context.run_migrations()
        finally:
            changes.stop(connection)  # the caller's connection outlives this command
        return
    for statement in session_timeouts(connection.dialect.name):
        connection.exec_driver_sql(statement)
    connection.commit()  # alembic must find no transaction open when it begins its own
    lock_wait = settings.seconds("migration_lock_timeout")
    with migration_lock(connection, settings.command(), lock_wait):
        run_with_retries(connection, changes, settings.lock_retries())


# --- Your own additions ------------------------------------------------------------------
# The one place in this file meant for editing: more context.configure() options for both
# modes (e.g. {"version_table_schema": "meta"}; one set above is changed where it stands),
# and rules for what autogenerate leaves out.
YOUR_CONFIGURE_OPTIONS: dict[str, Any] = {}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Whether autogenerate compares a model object; add your own rules here.

    Tables marked info={"skip_autogenerate": True} (views, foreign tables) are left out.
    """
    return not marked_to_skip(obj, type_)


# --- The rest: small steps the functions above use ---------------------------------------


def target_metadata() -> sa.MetaData | list[sa.MetaData] | None:
    """The models' MetaData, for the commands that compare with them (else None)."""
    return load_target_metadata(settings) if settings.needs_metadata() else None


def session_timeouts(dialect_name: str) -> list[str]:
    """SET statements bounding lock waits and statements for this migration session."""
    return timeout_statements(
        dialect_name, settings.seconds("lock_timeout"), settings.seconds("statement_timeout")
    )


configure_logging(config, verbose=is_true(x_arguments.get("verbose")))
# PostgreSQL enum labels, which alembic does not compare (alembic_env_compare.py).
register_comparators()
# MySQL's online clauses, for the migrations configured with mysql_online_ddl=True.
register_online_ddl()
TEMPLATE_ARGS = template_arguments(chosen_template(x_arguments, context.script.dir))
plan_revisions = revision_planner(
    TEMPLATE_ARGS,
    autogenerate=settings.is_autogenerating(),
    # Revisions can call the safe steps only where alembic_env_safe_ddl.py came along.
    safe_ddl_available=(Path(context.script.dir) / "alembic_env_safe_ddl.py").exists(),
)
# The migration's timeouts, for the safe steps and backfill() to read from the context;
# and how far replicas may lag behind a backfill (alembic_env_replicas.py).
TIMEOUTS = {
    "lock_timeout": settings.seconds("lock_timeout"),
    "statement_timeout": settings.seconds("statement_timeout"),
    "index_statement_timeout": settings.seconds("index_statement_timeout"),
    "max_replica_lag": settings.seconds("max_replica_lag"),
    "replica_urls": settings.names("replica_urls"),
}
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
