"""What every revision file says, read without running it."""

from __future__ import annotations

import pytest
from alembic.script import Script

from .revisions import (
    APPLICATION_PACKAGE,
    application_imports,
    does_nothing,
    function,
    revision_scripts,
)


@pytest.fixture
def scripts() -> list[Script]:
    """Every revision, oldest first; the tests skip while there is none."""
    found = revision_scripts()
    if not found:
        pytest.skip("no revisions yet in migrations/versions/")
    return found


def test_no_revision_imports_the_application(scripts: list[Script]) -> None:
    """A revision declares the tables it touches with sa.table()/sa.column().

    The models describe the schema at the head; a revision that imports them changes
    meaning, or breaks, when they change.
    """
    found = [line for script in scripts for line in application_imports(script)]
    assert not found, (
        f"revisions import {APPLICATION_PACKAGE}; declare the tables they use with "
        "sa.table()/sa.column() instead:\n" + "\n".join(found)
    )


def test_every_downgrade_undoes_something_or_is_marked_irreversible(scripts: list[Script]) -> None:
    """An upgrade that does something has a downgrade that does something too.

    When it cannot be undone, its downgrade says so: raise NotImplementedError("why").
    """
    silent = []
    for script in scripts:
        upgrade, downgrade = function(script, "upgrade"), function(script, "downgrade")
        if upgrade is None or downgrade is None:
            silent.append(f"{script.revision}: no upgrade() or no downgrade()")
        elif does_nothing(downgrade) and not does_nothing(upgrade):
            silent.append(f"{script.revision}: downgrade() does nothing")
    assert not silent, (
        "write the downgrade, or mark the revision irreversible with "
        'raise NotImplementedError("why"):\n' + "\n".join(silent)
    )
