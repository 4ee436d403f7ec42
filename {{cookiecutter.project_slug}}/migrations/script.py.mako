<%doc>
    The schema revision, and the entry point for every kind. alembic renders this file
    with no template lookup, so it makes one over its own directory and renders the
    chosen kind through it: this file again for schema, or with
    `alembic -x template=data revision -m "..."` (env.py passes migration_template="data")
    data.py.mako beside it. Through the lookup each kind can include
    revision_header.py.mako, which needs one.
</%doc>\
<%!
    from pathlib import Path

    from mako.lookup import TemplateLookup
%>\
<%namespace name="header" file="revision_header.py.mako"/>\
% if self.template.lookup is None:
<%
    lookup = TemplateLookup(directories=[str(Path(self.template.filename).parent)])
    kind = context.get("migration_template", "schema")
    chosen = lookup.get_template("script.py.mako" if kind == "schema" else kind + ".py.mako")
%>\
${chosen.render(**context.kwargs)}\
% else:
${schema_revision()}\
% endif
<%def name="schema_revision()">\
<%header:docstring/>

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

<%header:identifiers/>


def upgrade() -> None:
    """Upgrade the schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Return the schema to the previous revision."""
    ${downgrades if downgrades else "pass"}
</%def>\
