"""The `alembic-template` command, also `python -m alembic_template`.

The project's alembic is checked first (project_alembic.py): cli.py is alembic's own
command line extended, and imports alembic.
"""

from __future__ import annotations

from collections.abc import Sequence

from .project_alembic import exit_unless_alembic_runs


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line once alembic is known to be there and new enough."""
    exit_unless_alembic_runs()
    from .cli import main as run_command_line

    run_command_line(argv)


if __name__ == "__main__":
    main()
