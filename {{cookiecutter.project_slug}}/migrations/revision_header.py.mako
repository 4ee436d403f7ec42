<%doc>
    The start that every revision file shares. script.py.mako, data.py.mako and
    stairway.py.mako, all rendered through one template lookup, use it by
    <%namespace name="header" file="revision_header.py.mako"/>:
    <%header:docstring>text</%header:docstring> writes the docstring, the text after
    the revision lines, and <%header:identifiers/> the typed identifiers alembic reads.
    Not a revision template itself: `-x template=` offers only schema, data, stairway.
</%doc>
<%def name="docstring()">\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

${caller.body()}"""\
</%def>
<%def name="identifiers()">\
# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: str | tuple[str, ...] | None = ${repr(down_revision)}
branch_labels: str | tuple[str, ...] | None = ${repr(branch_labels)}
depends_on: str | tuple[str, ...] | None = ${repr(depends_on)}\
</%def>
