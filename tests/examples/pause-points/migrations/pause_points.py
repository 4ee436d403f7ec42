"""Stop a revision's upgrade() at a named point, and tell the test it got there.

Laid over a project together with the scenario revisions that import it (migrations/ is
on sys.path through prepend_sys_path, as for alembic_env_backfill).

    SCENARIO_PAUSE_AT=before|during|after|end   the point to stop at (unset: run through)
    SCENARIO_MARKER=/path/to/marker.json        written on arrival: the point, and the id
                                                of the migration's connection

At "during" the revision goes on at once, with slow batches (BATCH_PAUSE): the test
watches the rows change and strikes midway. At any other point it holds for two minutes,
long enough for the test to kill the process there.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from alembic import op

PAUSE_AT = os.environ.get("SCENARIO_PAUSE_AT", "")
# Seconds between batches: many slow batches when the test strikes during them.
BATCH_PAUSE = 0.05 if PAUSE_AT == "during" else 0.0
HOLD_SECONDS = 120


def reached(point: str) -> None:
    """Announce `point` if it is the one asked for; hold there unless it is "during"."""
    if point != PAUSE_AT or op.get_context().as_sql:
        return
    marker = Path(os.environ["SCENARIO_MARKER"])
    partial = marker.with_name(marker.name + ".partial")
    partial.write_text(json.dumps({"point": point, "connection": connection_id()}))
    partial.replace(marker)  # whole or absent: the test never reads half a file
    if point != "during":
        time.sleep(HOLD_SECONDS)


def connection_id() -> int:
    """The server's id of the migration's connection (a SELECT: it changes nothing)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        return bind.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return bind.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
