"""The second models: a second table using the enum type the first one created."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(naming_convention={"pk": "pk_%(table_name)s"})

things_a = sa.Table(
    "things_a",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("status", sa.Enum("new", "done", name="thing_status"), nullable=False),
)
things_b = sa.Table(
    "things_b",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "status",
        postgresql.ENUM("new", "done", name="thing_status", create_type=False),
        nullable=False,
    ),
)
