"""Drop the moods' notes (irreversible, and marked so), and a view of the happy ones.

Revision ID: 5a0000000002
Revises: 5a0000000001

A squash folds an irreversible revision like any other; the baseline's downgrade still
drops everything, the view included. The trigger is SQL the baseline lists, not rebuilds.
"""

from alembic import op

revision: str = "5a0000000002"
down_revision: str | tuple[str, ...] | None = "5a0000000001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


# A trigger: reflection cannot see it, so the baseline lists this SQL instead of rebuilding it.
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER moods_calm BEFORE INSERT ON moods WHEN NEW.score < 0 "
        "BEGIN SELECT RAISE(ABORT, 'no negative scores'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION moods_calm() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN NEW.score := greatest(NEW.score, 0); RETURN NEW; END $$",
        "CREATE TRIGGER moods_calm BEFORE INSERT ON moods FOR EACH ROW "
        "EXECUTE FUNCTION moods_calm()",
    ],
    "mysql": [
        "CREATE TRIGGER moods_calm BEFORE INSERT ON moods FOR EACH ROW "
        "SET NEW.score = GREATEST(NEW.score, 0)"
    ],
}


def upgrade() -> None:
    with op.batch_alter_table("moods") as batch:
        batch.drop_column("note")
    op.execute("CREATE VIEW happy_moods AS SELECT id, noted_at FROM moods WHERE mood = 'happy'")
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the notes are gone")
