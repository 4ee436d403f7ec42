"""A shop's models written as SQLAlchemy 1.4 allows (and 2.x still runs): declarative_base
from sqlalchemy.orm, Column, no Mapped[] annotations."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Base = declarative_base(metadata=metadata)


class OrderStatus(enum.Enum):
    open = "open"
    paid = "paid"
    shipped = "shipped"


class Customer(Base):
    __tablename__ = "customers"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(200), nullable=False, unique=True)
    active = sa.Column(sa.Boolean, nullable=False, server_default=sa.true())
    created_at = sa.Column(sa.DateTime, nullable=False, server_default=sa.func.now())


class Order(Base):
    __tablename__ = "orders"

    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.ForeignKey("customers.id"), nullable=False, index=True)
    status = sa.Column(
        sa.Enum(OrderStatus, name="order_status"), nullable=False, server_default="open"
    )
    total = sa.Column(sa.Numeric(10, 2), nullable=False, server_default="0")


class OrderLine(Base):
    """A composite primary key: (order, line number)."""

    __tablename__ = "order_lines"

    order_id = sa.Column(sa.ForeignKey("orders.id"), primary_key=True)
    line = sa.Column(sa.Integer, primary_key=True)
    sku = sa.Column(sa.String(40), nullable=False)
    quantity = sa.Column(sa.Integer, nullable=False, server_default="1")
