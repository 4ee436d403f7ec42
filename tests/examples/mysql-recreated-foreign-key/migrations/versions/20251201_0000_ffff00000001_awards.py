"""Awards of users, with a foreign key created without a name (MySQL).

Revision ID: ffff00000001
Revises: 0002b8c4d2e9

As a revision written before the project had a naming convention: MySQL names the key
awards_ibfk_1, and the index it creates for it after the column, user_id. (SQL, because
op.create_table would now name the key by the models' naming convention.)
"""

from alembic import op

revision: str = "ffff00000001"
down_revision: str | tuple[str, ...] | None = "0002b8c4d2e9"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE awards (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY,"
        " user_id VARCHAR(36) NOT NULL, FOREIGN KEY (user_id) REFERENCES users (id))"
    )


def downgrade() -> None:
    op.drop_table("awards")
