"""Tree, changed: longer category names, an optional slug, new categories sorted last, and
products found by name (an index on a table that has rows)."""

from __future__ import annotations

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


class Base(DeclarativeBase):
    metadata = metadata


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(160))
    slug: Mapped[str | None] = mapped_column(sa.String(160))
    sort_order: Mapped[int] = mapped_column(server_default="1000")

    parent: Mapped[Category | None] = relationship(back_populates="children", remote_side=[id])
    children: Mapped[list[Category]] = relationship(back_populates="parent")

    __table_args__ = (
        # Siblings have different names; roots compare NULL parents, so they may repeat.
        sa.UniqueConstraint("parent_id", "name", name="uq_categories_parent_id_name"),
        sa.CheckConstraint("sort_order >= 0", name="sort_order_not_negative"),
    )


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
