"""Every revision keeps the rows it finds, with no test code of yours.

One database is walked forward through the history (row_walk.py). Before each revision,
every table gets rows made up from its schema and from the literals the revision names
(sample_rows.py); then the revision is upgraded, downgraded and upgraded again:

- its upgrade deletes no row that was there before it, unless the revision declares
  `deletes_rows = "why"` at module level;
- after its upgrade and downgrade, every row that was there before is back, unchanged,
  apart from the columns and tables the revision removes.

An irreversible revision (`raise NotImplementedError("why")` in its downgrade) is only
upgraded, and its upgrade checked.
"""

from __future__ import annotations

import pytest
from alembic.script import Script

from .revisions import revision_scripts
from .row_walk import RowWalk, WalkStopped


def walk_params() -> list:
    """One parameter per revision, oldest first; a merge has no changes of its own."""
    params = []
    for script in revision_scripts():
        merge = isinstance(script.down_revision, tuple)
        marks = [pytest.mark.skip(reason=f"{script.revision} is a merge")] if merge else []
        params.append(pytest.param(script, id=script.revision, marks=marks))
    if not params:
        skip = pytest.mark.skip(reason="no revisions yet in migrations/versions/")
        params.append(pytest.param(None, id="no-revisions", marks=skip))
    return params


@pytest.mark.parametrize("script", walk_params())
def test_rows_survive(row_walk: RowWalk, script: Script) -> None:
    """The revision's upgrade and downgrade keep the rows that were there before it."""
    try:
        problems = row_walk.check(script)
    except WalkStopped as stopped:
        if not stopped.first:
            pytest.skip(str(stopped))
        pytest.fail(str(stopped), pytrace=False)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
