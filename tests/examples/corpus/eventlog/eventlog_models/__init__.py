"""Event log: append-only events keyed by a BigInteger identity, timestamped by the database."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Base(DeclarativeBase):
    metadata = metadata


class Stream(Base):
    __tablename__ = "streams"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    is_active: Mapped[bool] = mapped_column(server_default=sa.true())
    created_at: Mapped[datetime.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    stream_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("streams.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    payload: Mapped[str] = mapped_column(sa.Text)
    occurred_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime(timezone=True))
    recorded_at: Mapped[datetime.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    is_visible: Mapped[bool] = mapped_column(server_default=sa.true())
