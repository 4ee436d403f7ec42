"""Rows the corpus test puts in before the change, and a row only the changed schema takes."""

import datetime

# Inserted with the first models, table by table in this order; they must survive the
# change and its downgrade unchanged.
ROWS = {
    "articles": [
        {
            "id": 1,
            "slug": "hello-world",
            "title": "Hello, world",
            "body": "The first article.",
            "attributes": {"tags": ["intro"], "featured": True},
        },
        {
            "id": 2,
            "slug": "release-notes",
            "title": "Release notes",
            "status": "published",
            "body": "What changed.",
            "attributes": {},
            "published_at": datetime.datetime(2025, 5, 1, 12, 0),
        },
    ],
    "article_revisions": [
        {"id": 1, "article_id": 2, "editor": "ada", "status": "published", "changes": []},
    ],
}

# Inserted with the changed models after the upgrade, then rolled back: the change is real.
CHANGED_ROWS = {
    "articles": [
        {
            "id": 3,
            "slug": "old-news",
            "title": "A title longer than two hundred characters " + "x" * 200,
            "status": "archived",
            "body": "Archived.",
            "attributes": {"archived": True},
        },
    ],
}
