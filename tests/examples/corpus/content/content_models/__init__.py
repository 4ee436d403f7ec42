"""Content: articles with a publishing workflow (a native enum), JSON attributes, revisions."""

from __future__ import annotations

import datetime
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
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

# JSON everywhere; JSONB where PostgreSQL has it, as most PostgreSQL applications choose.
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class Status(enum.Enum):
    draft = "draft"
    in_review = "in_review"
    published = "published"


class Base(DeclarativeBase):
    metadata = metadata


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[Status] = mapped_column(
        sa.Enum(Status, name="article_status"), server_default="draft", index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(Document)
    published_at: Mapped[datetime.datetime | None]


class ArticleRevision(Base):
    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    editor: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[Status] = mapped_column(sa.Enum(Status, name="article_status"))
    changes: Mapped[list[Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=sa.func.now())
