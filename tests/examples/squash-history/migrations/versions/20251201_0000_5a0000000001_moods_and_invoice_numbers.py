"""Moods: an enum type, server defaults and, on PostgreSQL, a sequence of its own.

Revision ID: 5a0000000001
Revises: 0002b8c4d2e9

What a squash baseline must carry over: the PostgreSQL enum type (created once, before
its table) and the standalone sequence a column's default draws from, each server
default as the database spells it, and on MySQL the index it made for a foreign key.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "5a0000000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "moods",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mood", sa.Enum("happy", "sad", "calm", name="mood"), nullable=False),
        sa.Column("status", sa.String(20), server_default="active", nullable=False),
        sa.Column("score", sa.Numeric(6, 2), server_default=sa.text("0"), nullable=False),
        sa.Column("noted_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("note", sa.String(200)),
    )
    op.create_index("ix_moods_mood_status", "moods", ["mood", "status"])
    # No index of its own on mood_id: MySQL makes one, named after the foreign key.
    op.create_table(
        "mood_tags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mood_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(30), nullable=False),
        sa.ForeignKeyConstraint(["mood_id"], ["moods.id"], name="fk_mood_tags_mood_id_moods"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE invoice_numbers START WITH 1000 INCREMENT BY 5")
        op.add_column(
            "moods",
            sa.Column(
                "invoice_no", sa.BigInteger(), server_default=sa.text("nextval('invoice_numbers')")
            ),
        )


def downgrade() -> None:
    op.drop_table("mood_tags")
    op.drop_table("moods")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE invoice_numbers")
        op.execute("DROP TYPE mood")
