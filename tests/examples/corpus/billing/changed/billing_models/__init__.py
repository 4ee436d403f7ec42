"""Billing, changed: invoices default to USD, record when they were paid, and are
looked up by issue date (an index on a table that has rows)."""

from __future__ import annotations

import datetime
from decimal import Decimal

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

Money = sa.Numeric(12, 2)


class Base(DeclarativeBase):
    metadata = metadata


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    credit_limit: Mapped[Decimal] = mapped_column(Money, server_default="0")

    __table_args__ = (sa.CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    issued_on: Mapped[datetime.date] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(sa.String(3), server_default="USD")
    total: Mapped[Decimal] = mapped_column(Money, server_default="0")
    tax: Mapped[Decimal] = mapped_column(Money, server_default="0")
    paid_at: Mapped[datetime.datetime | None]

    __table_args__ = (
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        sa.CheckConstraint("tax >= 0 AND tax <= total", name="tax_within_total"),
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(server_default="1")
    unit_price: Mapped[Decimal] = mapped_column(Money)

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )
