<%namespace name="header" file="revision_header.py.mako"/>\
<%header:docstring>\
A data migration. The tables it touches are declared below with SQLAlchemy Core as they
are at this revision: never import the application's models, which move on while this file
must not. backfill() changes a big table in key ranges, one committed batch at a time.
</%header:docstring>

import sqlalchemy as sa
from alembic import op
from alembic_env_backfill import backfill

<%header:identifiers/>

# TODO: the table this migration changes, with its key and the columns it reads or writes.
items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("price", sa.Numeric),
)


def upgrade() -> None:
    """TODO: say what changes in the data, and why."""
    backfill(items, values={"price": items.c.price * 2})


def downgrade() -> None:
    """TODO: undo upgrade() exactly."""
    backfill(items, values={"price": items.c.price / 2})
