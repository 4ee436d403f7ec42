"""Drop the moods' notes (irreversible, and marked so), and a view of the happy ones.

Revision ID: 5a0000000002
Revises: 5a0000000001

A squash folds an irreversible revision like any other; the baseline's downgrade still
drops everything, the view included.
"""

from alembic import op

revision: str = "5a0000000002"
down_revision: str | tuple[str, ...] | None = "5a0000000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moods") as batch:
        batch.drop_column("note")
    op.execute("CREATE VIEW happy_moods AS SELECT id, noted_at FROM moods WHERE mood = 'happy'")


def downgrade() -> None:
    raise NotImplementedError("the notes are gone")
