"""Rows the corpus test puts in before the change, and a row only the changed schema takes."""

import datetime
from decimal import Decimal

# Inserted with the first models, table by table in this order; they must survive the
# change and its downgrade unchanged.
ROWS = {
    "customers": [
        {"id": 1, "name": "Acme GmbH", "email": "billing@acme.example"},
        {"id": 2, "name": "Globex", "email": "ap@globex.example", "credit_limit": Decimal("500")},
    ],
    "invoices": [
        {
            "id": 1,
            "customer_id": 1,
            "number": "2025-0001",
            "issued_on": datetime.date(2025, 1, 31),
            "total": Decimal("119.00"),
            "tax": Decimal("19.00"),
        },
        {
            "id": 2,
            "customer_id": 2,
            "number": "2025-0002",
            "issued_on": datetime.date(2025, 2, 28),
        },
    ],
    "invoice_lines": [
        {"id": 1, "invoice_id": 1, "description": "Anvil", "unit_price": Decimal("100.00")},
        {
            "id": 2,
            "invoice_id": 1,
            "description": "Rope",
            "quantity": 2,
            "unit_price": Decimal("0"),
        },
    ],
}

# Inserted with the changed models after the upgrade, then rolled back: the change is real.
CHANGED_ROWS = {
    "invoices": [
        {
            "id": 3,
            "customer_id": 1,
            "number": "2025-0003",
            "issued_on": datetime.date(2025, 3, 31),
            "paid_at": datetime.datetime(2025, 4, 2, 9, 30),
        },
    ],
}
