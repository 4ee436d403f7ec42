"""The first models: one table with a native enum."""

import sqlalchemy as sa

metadata = sa.MetaData(naming_convention={"pk": "pk_%(table_name)s"})

things_a = sa.Table(
    "things_a",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("status", sa.Enum("new", "done", name="thing_status"), nullable=False),
)
