"""Rows the corpus test puts in before the change, and a row only the changed schema takes."""

import datetime
import uuid

ADA = uuid.UUID("6f1c1f2e-3d4b-4a5c-9e8f-0a1b2c3d4e5f")
GRACE = uuid.UUID("0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e")

# Inserted with the first models, table by table in this order; they must survive the
# change and its downgrade unchanged.
ROWS = {
    "users": [
        {"id": ADA, "email": "ada@example.org", "username": "ada", "password_hash": "x"},
        {
            "id": GRACE,
            "email": "grace@example.org",
            "username": "grace",
            "password_hash": "y",
            "deleted_at": datetime.datetime(2025, 6, 1, 8, 0),
        },
    ],
    "sessions": [
        {
            "id": uuid.UUID("11111111-2222-4333-8444-555555555555"),
            "user_id": ADA,
            "token_hash": "a" * 64,
            "expires_at": datetime.datetime(2030, 1, 1, 0, 0),
        },
        {
            "id": uuid.UUID("66666666-7777-4888-9999-aaaaaaaaaaaa"),
            "user_id": GRACE,
            "token_hash": "b" * 64,
            "expires_at": datetime.datetime(2025, 6, 1, 0, 0),
            "revoked_at": datetime.datetime(2025, 5, 31, 0, 0),
        },
    ],
    "api_keys": [
        {
            "id": uuid.UUID("bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"),
            "user_id": ADA,
            "prefix": "ak_1",
            "label": "ci",
        },
    ],
}

# Inserted with the changed models after the upgrade, then rolled back: the change is real.
CHANGED_ROWS = {
    "users": [
        {
            "id": uuid.UUID("cccccccc-dddd-4eee-8fff-000000000000"),
            "email": "a." + "very-long-local-part" * 3 + "@" + "sub." * 60 + "example.org",
            "username": "longmail",
            "password_hash": "z",
            "last_login_at": datetime.datetime(2025, 7, 1, 9, 0),
        },
    ],
}
