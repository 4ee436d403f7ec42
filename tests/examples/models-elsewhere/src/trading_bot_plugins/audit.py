"""A plugin's table, on the application's MetaData, in a module the models never import."""

import sqlalchemy as sa
from trading_bot.models import metadata

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("what", sa.String(200), nullable=False),
)
