"""The corpus: model sets in the shape of real applications migrate exactly on every database.

Each set of tests/examples/corpus runs in a copy of the default project, without its
example revisions, with target_metadata pointed at the set (ALEMBIC_TARGET_METADATA, the
set's folder on PYTHONPATH), on each database its manifest names.

First pass: autogenerate from an empty database, upgrade, `check` is clean, `downgrade
base` leaves nothing (no table, type, sequence or index), upgrade again, `check` again.
Second pass: rows go in, the models become the set's changed/ variant; autogenerate,
upgrade, `check` is clean, the rows are still there, a row only the change allows goes in
(rolled back), the downgrade to the first head keeps the rows, and, the change's revisions
removed, `check` against the first models is clean again.

A failure names the set, the database and the step, with alembic's output, the objects
left behind or the rows that changed.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from .corpus import CASES, CORPUS, Case, insert, leftovers, load, models, rows_of

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_corpus_set_migrates_exactly(corpus_case: Case, name: str, kind: str) -> None:
    first_pass(corpus_case)
    second_pass(corpus_case)


def first_pass(case: Case) -> None:
    """Autogenerate from empty, upgrade, check, downgrade to nothing, upgrade, check."""
    case.at("1 autogenerate from an empty database")
    case.autogenerate("initial")
    case.at("2 upgrade head")
    case.alembic("upgrade", "head")
    case.at("3 check after the first upgrade")
    case.check_is_clean()
    case.at("4 downgrade base")
    case.alembic("downgrade", "base")
    left = leftovers(case.url)
    if left:
        case.fail("downgrade base left objects behind", "\n".join(left))
    case.at("5 upgrade head again")
    case.alembic("upgrade", "head")
    case.at("6 check after the second upgrade")
    case.check_is_clean()


def second_pass(case: Case) -> None:
    """Rows in, the changed models: autogenerate, upgrade, check, downgrade, rows kept."""
    first_head = case.alembic("heads").stdout.split()[0]
    before, after = models(case.name), models(case.name, "changed")
    rows = load(CORPUS / case.name / "rows.py")
    case.at("7 insert rows with the first models")
    insert(case.url, before, rows.ROWS, keep=True)
    kept = rows_of(case.url, before, list(rows.ROWS))
    case.variant = "changed"
    case.at("8 autogenerate the change")
    case.autogenerate("change")
    case.at("9 upgrade head to the change")
    case.alembic("upgrade", "head")
    case.at("10 check after the change")
    case.check_is_clean()
    case.at("11 rows after the change")
    case.rows_are(kept, before)
    case.at("12 a row only the change allows")
    try:
        insert(case.url, after, rows.CHANGED_ROWS, keep=False)
    except sa.exc.DBAPIError as error:
        case.fail(
            "the upgraded database refuses a row of the changed models",
            f"{error.orig}\n{case.revisions()}",
        )
    case.at("13 downgrade to the first head")
    case.alembic("downgrade", first_head)
    case.at("14 rows after the downgrade")
    case.rows_are(kept, before)
    case.variant = ""
    case.at("15 check against the first models after the downgrade")
    for revision in case.written:  # the first head is the head again
        revision.unlink()
    case.check_is_clean()
