<%doc>
    The schema revision, and the dispatcher for the other kinds: with
    `alembic -x template=data revision -m "..."` env.py passes migration_template="data"
    and data.py.mako, beside this file, is rendered instead. alembic renders this file
    with no template lookup, so the lookup is made here.
</%doc>
<%!
    from pathlib import Path

    from mako.lookup import TemplateLookup
%>\
% if context.get("migration_template", "schema") != "schema":
<%
    lookup = TemplateLookup(directories=[str(Path(self.template.filename).parent)])
    sibling = lookup.get_template(migration_template + ".py.mako")
%>\
${sibling.render(**context.kwargs)}\
% else:
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: str | tuple[str, ...] | None = ${repr(down_revision)}
branch_labels: str | tuple[str, ...] | None = ${repr(branch_labels)}
depends_on: str | tuple[str, ...] | None = ${repr(depends_on)}


def upgrade() -> None:
    """Upgrade the schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Return the schema to the previous revision."""
    ${downgrades if downgrades else "pass"}
% endif
