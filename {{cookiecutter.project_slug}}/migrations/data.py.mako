<%doc>
    The data revision. It is written unfinished on purpose: upgrade() and downgrade()
    raise "write this data migration: ..." until someone writes them, so a file left as
    it came changes no data anywhere; alembic prints that one line (a CommandError), and
    the project's tests fail on it by name. Not NotImplementedError in downgrade(): the
    tests read that as "irreversible on purpose" and skip the revision's checks.
</%doc>\
<%namespace name="header" file="revision_header.py.mako"/>\
<%header:docstring>\
A data migration. The tables it touches are declared below with SQLAlchemy Core as they
are at this revision: never import the application's models, which move on while this file
must not. backfill() changes a big table in key ranges, one committed batch at a time.
</%header:docstring>

from pathlib import Path

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError
from alembic_env_backfill import backfill

<%header:identifiers/>

# TODO: the table this migration changes, as it is at this revision: its key (backfill()
# walks it in ranges) and the columns the change reads or writes. An example:
items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("price", sa.Numeric),
)


def upgrade() -> None:
    """TODO: say what changes in the data, and why."""
    # TODO: write the change here, then delete the raise. One committed batch of keys at a
    # time, e.g. every price doubled, or any statement built from the batch's condition:
    #     backfill(items, values={"price": items.c.price * 2})
    #     backfill(items, statement=lambda batch: items.delete().where(batch, ...))
    raise CommandError(f"write this data migration: {Path(__file__).name}: upgrade() is a TODO")


def downgrade() -> None:
    """TODO: undo upgrade() exactly."""
    # TODO: undo the change here, then delete the raise, e.g.:
    #     backfill(items, values={"price": items.c.price / 2})
    # A change that cannot be undone says why instead, and the tests then skip its
    # downgrade on purpose: raise NotImplementedError("the old prices are gone")
    raise CommandError(f"write this data migration: {Path(__file__).name}: downgrade() is a TODO")
