"""The service's database layer: models in `models`, revisions in `migrations/`."""
