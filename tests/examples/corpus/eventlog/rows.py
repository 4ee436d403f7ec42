"""Rows the corpus test puts in before the change, and a row only the changed schema takes."""

import datetime

# Inserted with the first models, table by table in this order; they must survive the
# change and its downgrade unchanged. Ids are given: on SQLite a BIGINT key is not the
# rowid, so nothing generates them there.
ROWS = {
    "streams": [
        {"id": 1, "name": "orders"},
        {"id": 2, "name": "payments", "is_active": False},
    ],
    "events": [
        {
            "id": 1,
            "stream_id": 1,
            "kind": "order_placed",
            "payload": '{"order": 17}',
            "occurred_at": datetime.datetime(2025, 3, 1, 10, 0),
        },
        {
            "id": 2,
            "stream_id": 2,
            "kind": "payment_captured",
            "payload": '{"order": 17, "amount": "19.99"}',
            "occurred_at": datetime.datetime(2025, 3, 1, 10, 5),
            "is_visible": False,
        },
    ],
}

# Inserted with the changed models after the upgrade, then rolled back: the change is real.
CHANGED_ROWS = {
    "events": [
        {
            "id": 3,
            "stream_id": 1,
            "kind": "order_fulfilment_partially_shipped_to_secondary_address",
            "payload": "{}",
            "occurred_at": datetime.datetime(2025, 3, 2, 8, 0),
            "correlation_id": "req-5f2c",
        },
    ],
}
