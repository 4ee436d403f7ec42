"""Comparison by meaning (alembic_env_compare.py): equal spellings pass, real changes show.

In-process tests of the rules, both directions; tests/test_corpus.py runs them through
autogenerate and `alembic check` on the real databases.
"""

from __future__ import annotations

import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import _render_server_default
from alembic.migration import MigrationContext
from alembic.operations import ops
from sqlalchemy.dialects import mysql, postgresql, sqlite

from .projects import MIGRATIONS

sys.path.insert(0, str(MIGRATIONS))
import alembic_env_compare as compare

MARIADB = mysql.dialect(is_mariadb=True)
POSTGRESQL = postgresql.dialect()
SQLITE = sqlite.dialect()


def reflected(text: str) -> sa.DefaultClause:
    """A default as alembic reflects it: SQL text."""
    return sa.DefaultClause(sa.text(text))


NUMBER, FLAG, TEXT, TIME = sa.Numeric(10, 2), sa.Boolean(), sa.String(20), sa.DateTime()


def same(dialect, column_type, database_says: str, model_says: object) -> bool:
    """Whether a reflected default and a model's mean the same, for a column of that type."""
    change = ops.AlterColumnOp(
        "t",
        "c",
        existing_type=column_type,
        existing_server_default=reflected(database_says),
        modify_server_default=sa.DefaultClause(model_says),
    )
    return compare.same_default(change, dialect)


@pytest.mark.parametrize(
    ("dialect", "column_type", "database_says", "model_says"),
    [
        (MARIADB, NUMBER, "0.00", "0"),
        (MARIADB, NUMBER, "0.00", sa.text("0")),
        (MARIADB, FLAG, "1", sa.true()),
        (MARIADB, FLAG, "0", sa.false()),
        (MARIADB, TIME, "current_timestamp()", sa.func.now()),
        (MARIADB, TIME, "current_timestamp(6)", sa.text("now(6)")),
        (MARIADB, TEXT, "'draft'", "draft"),
        (POSTGRESQL, TEXT, "'draft'::character varying", "draft"),
        (POSTGRESQL, NUMBER, "'0'::numeric", "0"),
        (POSTGRESQL, TIME, "now()", sa.text("CURRENT_TIMESTAMP")),
        (POSTGRESQL, FLAG, "true", sa.true()),
        (POSTGRESQL, TEXT, "'it''s'::text", "it's"),
        (SQLITE, TIME, "(CURRENT_TIMESTAMP)", sa.func.now()),
        (SQLITE, NUMBER, "'0'", sa.text("0")),
    ],
    ids=lambda value: (
        getattr(value, "name", None) if isinstance(value, sa.engine.Dialect) else None
    ),
)
def test_spellings_of_one_value_are_no_change(dialect, column_type, database_says, model_says):
    assert same(dialect, column_type, database_says, model_says)


@pytest.mark.parametrize(
    ("dialect", "column_type", "database_says", "model_says"),
    [
        (MARIADB, NUMBER, "0.00", "1"),
        (MARIADB, FLAG, "1", sa.false()),
        (MARIADB, TIME, "current_timestamp()", sa.text("current_timestamp(6)")),
        (MARIADB, TEXT, "'draft'", "published"),
        (MARIADB, TEXT, "'7'", "007"),
        (POSTGRESQL, TEXT, "'draft'::character varying", "Draft"),
        (POSTGRESQL, TEXT, "'1'::text", "true"),
        (POSTGRESQL, TEXT, "'1000'::text", "1e3"),
        (POSTGRESQL, TIME, "now()", sa.text("clock_timestamp()")),
        (SQLITE, TEXT, "'0'", sa.text("''")),
    ],
)
def test_real_changes_still_show(dialect, column_type, database_says, model_says):
    assert not same(dialect, column_type, database_says, model_says)


def default_change(old, new, column_type=NUMBER) -> ops.AlterColumnOp:
    return ops.AlterColumnOp(
        "events",
        "id",
        existing_type=column_type,
        existing_server_default=old,
        modify_server_default=new,
    )


@pytest.mark.parametrize("dialect", [SQLITE, MARIADB], ids=["sqlite", "mariadb"])
def test_identity_is_no_change_where_identity_columns_do_not_exist(dialect):
    assert compare.same_default(default_change(None, sa.Identity()), dialect)


def test_identity_is_a_change_where_identity_columns_exist():
    assert not compare.same_default(default_change(None, sa.Identity()), POSTGRESQL)


def test_no_change_ops_leave_the_revision_and_real_ones_stay():
    same = default_change(reflected("0.00"), sa.DefaultClause("0"))
    real = default_change(reflected("0.00"), sa.DefaultClause("5"))
    with_type = default_change(reflected("1"), sa.DefaultClause(sa.true()), FLAG)
    with_type.modify_type = sa.Boolean()
    script = ops.MigrationScript(
        "a1",
        ops.UpgradeOps([ops.ModifyTableOps("events", [same]), real, with_type]),
        ops.DowngradeOps([]),
    )
    compare.equivalent_defaults_dropped(script, MARIADB)
    assert script.upgrade_ops.ops == [real, with_type]
    assert with_type.modify_server_default is False and with_type.modify_type is not None


def rendered(default: object) -> str:
    migration_context = MigrationContext.configure(
        dialect_name="sqlite",
        opts={"render_item": compare.render_portable, "sqlalchemy_module_prefix": "sa."},
    )
    context = AutogenContext(migration_context)
    return _render_server_default(sa.DefaultClause(default), context)


@pytest.mark.parametrize(
    ("model_says", "revision_says"),
    [
        (sa.true(), "sa.true()"),
        (sa.false(), "sa.false()"),
        (sa.func.now(), "sa.func.now()"),
        (sa.func.current_timestamp(), "sa.func.current_timestamp()"),
    ],
)
def test_portable_defaults_render_as_written(model_says, revision_says):
    assert rendered(model_says) == revision_says


def test_other_defaults_render_as_alembic_renders_them():
    assert rendered("draft") == "'draft'"
    assert rendered(sa.text("0")) == "sa.text('0')"


def test_enum_labels_of_the_models_by_schema():
    metadata = sa.MetaData()
    sa.Table("games", metadata, sa.Column("kind", sa.Enum("go", "chess", name="game")))
    sa.Table("audit", metadata, sa.Column("kind", sa.Enum("a", name="level")), schema="log")
    sa.Table("plain", metadata, sa.Column("kind", sa.Enum("x", name="p", native_enum=False)))
    assert compare.model_enums(metadata, None) == {"game": ["go", "chess"]}
    assert compare.model_enums([metadata], "log") == {"level": ["a"]}


def test_alembics_comparators_are_pinned_by_name():
    """Every comparator alembic has today is named, and naming them raises nothing: an
    alembic that adds or renames one fails this test, for a person to review."""
    plugins = pytest.importorskip("alembic.runtime.plugins", reason="alembic before 1.18")
    from alembic.util.langhelpers import PriorityDispatcher

    own = {name for name in plugins._all_plugins if name.startswith("alembic.autogenerate.")}
    assert set(compare.ALEMBIC_COMPARATORS) == own
    plugins.Plugin.populate_autogenerate_priority_dispatch(
        PriorityDispatcher(), compare.ALEMBIC_COMPARATORS
    )
    assert not any("checkconstraint" in name for name in compare.ALEMBIC_COMPARATORS)
