"""`python -m alembic_template`: the same as the `alembic-template` command."""

from .cli import main

if __name__ == "__main__":
    main()
