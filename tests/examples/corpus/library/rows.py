"""Rows the corpus test puts in before the change, and a row only the changed schema takes."""

from decimal import Decimal

# Inserted with the first models, table by table in this order; they must survive the
# change and its downgrade unchanged.
ROWS = {
    "authors": [{"id": 1, "name": "Terry Pratchett"}, {"id": 2, "name": "Neil Gaiman"}],
    "books": [
        {"id": 1, "isbn": "9780552137034", "title": "Good Omens", "format": "paperback"},
        {"id": 2, "isbn": "9780062225740", "title": "Mort", "format": "ebook"},
    ],
    "book_authors": [
        {"book_id": 1, "author_id": 1},
        {"book_id": 1, "author_id": 2, "role": "co-author"},
        {"book_id": 2, "author_id": 1},
    ],
    "royalty_shares": [
        {"book_id": 1, "author_id": 1, "period": "2025-01", "percent": Decimal("50")},
        {"book_id": 1, "author_id": 2, "period": "2025-01", "percent": Decimal("50")},
    ],
}

# Inserted with the changed models after the upgrade, then rolled back: the change is real.
CHANGED_ROWS = {
    "books": [{"id": 3, "isbn": "9780552152679", "title": "Going Postal", "format": "audiobook"}],
    "book_authors": [{"book_id": 3, "author_id": 1, "position": 1}],
}
