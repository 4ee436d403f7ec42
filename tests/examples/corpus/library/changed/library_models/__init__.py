"""Library, changed: audiobooks (a new enum value), the order of a book's authors (a
nullable column on the association table) and royalty shares found by period (an index on
a table that has rows)."""

from __future__ import annotations

import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Format(enum.Enum):
    hardcover = "hardcover"
    paperback = "paperback"
    ebook = "ebook"
    audiobook = "audiobook"


class Base(DeclarativeBase):
    metadata = metadata


# The association table, in Core as the SQLAlchemy docs write it: the pair is the key.
book_authors = sa.Table(
    "book_authors",
    metadata,
    sa.Column("book_id", sa.ForeignKey("books.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("author_id", sa.ForeignKey("authors.id"), primary_key=True, index=True),
    sa.Column("role", sa.String(20), nullable=False, server_default="author"),
    sa.Column("position", sa.SmallInteger, nullable=True),
)


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    books: Mapped[list[Book]] = relationship(secondary=book_authors, back_populates="authors")


class Book(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    isbn: Mapped[str] = mapped_column(sa.String(13), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    format: Mapped[Format] = mapped_column(sa.Enum(Format, name="book_format"))
    authors: Mapped[list[Author]] = relationship(secondary=book_authors, back_populates="books")


class RoyaltyShare(Base):
    """An author's share of one book's royalties: it refers to the pair, not to either side."""

    __tablename__ = "royalty_shares"

    book_id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True, index=True)
    percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["book_id", "author_id"],
            ["book_authors.book_id", "book_authors.author_id"],
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("percent > 0 AND percent <= 100", name="percent_in_range"),
    )
