"""Enum labels: a new one is seen and added without rewriting the table; a removed one stays.

The corpus' library set has a native enum, books.format; its changed/ variant adds the
label 'audiobook'. PostgreSQL gets ALTER TYPE ... ADD VALUE outside the transaction (the
table's relfilenode does not change), MySQL a column change; taking a label away is
refused in one line, and the label stays.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from .corpus import CORPUS, Case, insert, load, models
from .databases import throwaway_database
from .projects import EXAMPLES, alembic

pytestmark = pytest.mark.slow

NAME = "library"


def one(url: sa.engine.URL, query: str) -> object:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(query).scalar()
    finally:
        engine.dispose()


def labels(url: sa.engine.URL) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            (book_format,) = sa.inspect(connection).get_enums()
            return book_format["labels"]
    finally:
        engine.dispose()


def with_rows(case: Case) -> str:
    """The first models migrated, their rows in; returns the head revision."""
    case.autogenerate("initial")
    case.alembic("upgrade", "head")
    insert(case.url, models(NAME), load(CORPUS / NAME / "rows.py").ROWS, keep=True)
    return case.alembic("heads").stdout.split()[0]


@pytest.mark.parametrize(("name", "kind"), [(NAME, "postgresql")])
def test_postgresql_adds_a_label_without_rewriting_the_table(corpus_case: Case, name, kind):
    case = corpus_case
    first_head = with_rows(case)
    relfilenode = "SELECT relfilenode FROM pg_class WHERE relname = 'books'"
    before = one(case.url, relfilenode)
    case.variant = "changed"

    check = case.run("check")
    assert check.returncode != 0 and "add_enum_value" in check.stdout + check.stderr, check

    case.autogenerate("change")
    text = "".join(path.read_text() for path in case.written)
    assert 'add_enum_value("book_format", "audiobook")' in text, case.revisions()
    assert "from alembic_env_safe_ddl import add_enum_value" in text
    sql = case.alembic("upgrade", f"{first_head}:head", "--sql").stdout
    statement = "ALTER TYPE book_format ADD VALUE IF NOT EXISTS 'audiobook';"
    before_it = sql[: sql.index(statement)].rstrip()
    assert before_it.endswith("COMMIT;"), "ADD VALUE must run outside the transaction"

    case.alembic("upgrade", "head")
    assert one(case.url, relfilenode) == before, "the table was rewritten"
    assert labels(case.url) == ["hardcover", "paperback", "ebook", "audiobook"]
    case.check_is_clean()
    insert(case.url, models(NAME, "changed"), load(CORPUS / NAME / "rows.py").CHANGED_ROWS, True)


@pytest.mark.parametrize(("name", "kind"), [(NAME, "postgresql")])
def test_postgresql_refuses_to_drop_a_label_and_keeps_it(corpus_case: Case, name, kind):
    case = corpus_case
    case.variant = "changed"
    with_rows(case)
    case.variant = ""  # the first models: no 'audiobook'
    result = case.run("revision", "--autogenerate", "-m", "without audiobook")
    assert result.returncode == 0, result.stderr
    refusal = [line for line in result.stderr.splitlines() if "'audiobook'" in line]
    assert len(refusal) == 1, result.stderr
    assert "enum type book_format keeps 'audiobook'" in refusal[0]
    assert "expand, backfill, contract" in refusal[0]
    case.alembic("upgrade", "head")
    assert "audiobook" in labels(case.url)


@pytest.mark.parametrize(("name", "kind"), [(NAME, "mysql")])
def test_mysql_adds_a_label_with_a_column_change(corpus_case: Case, name, kind):
    case = corpus_case
    with_rows(case)
    case.variant = "changed"
    case.autogenerate("change")
    text = "".join(path.read_text() for path in case.written)
    assert '"books",\n        "format",' in text or "'books', 'format'" in text, text
    assert "audiobook" in text
    case.alembic("upgrade", "head")
    case.check_is_clean()


@pytest.mark.postgresql
def test_a_downgrade_keeps_an_enum_type_an_earlier_revision_made(project_copy, tmp_path):
    project = project_copy("default")
    for revision in (project / "migrations" / "versions").glob("*.py"):
        revision.unlink()
    shared = EXAMPLES / "shared-enum"
    with throwaway_database("postgresql", tmp_path) as url:
        for variant in ("first", "second"):
            models = {
                "ALEMBIC_TARGET_METADATA": "shared_enum_models:metadata",
                "PYTHONPATH": str(shared / variant),
            }
            alembic(
                project, "revision", "--autogenerate", "-m", variant, url=url, extra_env=models
            )
            alembic(project, "upgrade", "head", url=url, extra_env=models)
        (second,) = (project / "migrations" / "versions").glob("*_second.py")
        (first,) = (project / "migrations" / "versions").glob("*_first.py")
        assert "drop_enum_type(" in first.read_text(), first.read_text()
        assert "drop_enum_type(" not in second.read_text(), second.read_text()
        alembic(project, "downgrade", "-1", url=url)
        assert labels(url) == ["new", "done"], "the type things_a uses was dropped"
        alembic(project, "downgrade", "base", url=url)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                assert sa.inspect(connection).get_enums() == []
        finally:
            engine.dispose()
