"""The shop's models, written as both Flask-SQLAlchemy 2.5 (SQLAlchemy 1.4) and 3.x run them."""

import sqlalchemy as sa

from . import db


class Customer(db.Model):
    __tablename__ = "customers"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(200), nullable=False, unique=True)
    active = db.Column(db.Boolean, nullable=False, server_default=sa.true())
    created_at = db.Column(db.DateTime, nullable=False, server_default=sa.func.now())


class Product(db.Model):
    __tablename__ = "products"

    sku = db.Column(db.String(40), primary_key=True)
    name = db.Column(db.String(200), nullable=False)
    price = db.Column(db.Numeric(10, 2), nullable=False, server_default="0")


class Order(db.Model):
    __tablename__ = "orders"

    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.ForeignKey("customers.id"), nullable=False, index=True)
    status = db.Column(
        db.Enum("new", "paid", "shipped", name="order_status"),
        nullable=False,
        server_default="new",
    )


class OrderLine(db.Model):
    """A composite primary key: the order and the line's number in it."""

    __tablename__ = "order_lines"

    order_id = db.Column(db.ForeignKey("orders.id"), primary_key=True)
    line_no = db.Column(db.Integer, primary_key=True)
    sku = db.Column(db.ForeignKey("products.sku"), nullable=False)
    quantity = db.Column(db.Integer, nullable=False, server_default="1")
