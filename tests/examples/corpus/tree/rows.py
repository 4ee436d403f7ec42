"""Rows the corpus test puts in before the change, and a row only the changed schema takes."""

# Inserted with the first models, table by table in this order; they must survive the
# change and its downgrade unchanged.
ROWS = {
    "categories": [
        {"id": 1, "name": "Garden"},
        {"id": 2, "parent_id": 1, "name": "Tools", "sort_order": 1},
        {"id": 3, "parent_id": 2, "name": "Spades", "sort_order": 2},
        {"id": 4, "parent_id": 1, "name": "Seeds"},
    ],
    "products": [
        {"id": 1, "category_id": 3, "name": "Border spade"},
        {"id": 2, "category_id": 4, "name": "Sunflower, giant"},
    ],
}

# Inserted with the changed models after the upgrade, then rolled back: the change is real.
CHANGED_ROWS = {
    "categories": [
        {
            "id": 5,
            "parent_id": 2,
            "name": "Hand tools for raised beds, balcony boxes and other small urban gardens",
            "slug": "hand-tools-small-gardens",
        },
    ],
}
