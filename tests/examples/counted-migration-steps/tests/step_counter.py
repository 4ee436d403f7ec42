"""A pytest plugin counting the migration steps alembic runs: `pytest -p tests.step_counter`.

Each revision's upgrade() or downgrade(), as alembic calls it, appends one line
("upgrade REV" or "downgrade REV") to the file named by $MIGRATION_STEPS_FILE, from every
process, xdist workers included.
"""

from __future__ import annotations

import functools
import os

from alembic.runtime.migration import RevisionStep

uncounted_init = RevisionStep.__init__


def counting_init(self, revision_map, revision, is_upgrade) -> None:
    uncounted_init(self, revision_map, revision, is_upgrade)
    run = self.migration_fn
    line = f"{'upgrade' if is_upgrade else 'downgrade'} {revision.revision}\n"

    @functools.wraps(run)
    def counted(*args, **kwargs):
        with open(os.environ["MIGRATION_STEPS_FILE"], "a", encoding="utf-8") as steps:
            steps.write(line)
        return run(*args, **kwargs)

    self.migration_fn = counted


RevisionStep.__init__ = counting_init
