"""Auth, changed: room for the longest legal e-mail address, the last login, and expired
sessions found by an index (on a table that has rows)."""

from __future__ import annotations

import datetime
import uuid

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


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(sa.String(320))
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())
    deleted_at: Mapped[datetime.datetime | None]
    last_login_at: Mapped[datetime.datetime | None]

    __table_args__ = (
        # One live account per address; a deleted account frees it (where the database
        # has partial indexes; MariaDB keeps the address unique for good).
        sa.Index(
            "ix_users_email_live",
            "email",
            unique=True,
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        ),
    )


class Session(Base):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime.datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime.datetime | None]

    __table_args__ = (
        # The sessions a user can still use: the lookup on every request.
        sa.Index(
            "ix_sessions_user_id_active",
            "user_id",
            postgresql_where=sa.text("revoked_at IS NULL"),
            sqlite_where=sa.text("revoked_at IS NULL"),
        ),
    )


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    prefix: Mapped[str] = mapped_column(sa.String(8))
    label: Mapped[str] = mapped_column(sa.String(100))

    __table_args__ = (sa.UniqueConstraint("user_id", "label", name="uq_api_keys_user_id_label"),)
