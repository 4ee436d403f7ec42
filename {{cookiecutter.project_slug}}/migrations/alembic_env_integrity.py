"""The applied history stays as it was applied: an edited or deleted revision is refused.

A revision file edited after it ran on a database (a "small fix" to an applied migration)
means that database and a fresh one built from the files differ, silently. So, as
Flyway's validate does, the checksum of each revision file is stored in the database when
the revision is applied (alembic_revision_checksums, in the transaction that records it),
forgotten when it is downgraded, and checked before `upgrade` or `downgrade` runs: a file
that changed or is gone stops the command in one line naming it. An intended edit is
accepted with `alembic -x accept_edited=REVISION upgrade head`, which stores the file's
new checksum. A squash baseline (alembic_env_history.py) that lists the applied files'
checksums takes their place. It lives beside env.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.util import CommandError

checksums = sa.Table(
    "alembic_revision_checksums",
    sa.MetaData(),
    sa.Column("revision", sa.String(64), primary_key=True),
    sa.Column("file", sa.String(300), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
)


def file_checksum(path: str | Path) -> str:
    """The SHA-256 of a revision file, line endings aside (a Windows checkout is no edit)."""
    return hashlib.sha256(Path(path).read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def applies_revisions(migration_context: Any) -> bool:
    """Whether this run applies revisions online (upgrade or downgrade, not --sql)."""
    steps_of = migration_context.opts.get("fn")
    is_applying = getattr(steps_of, "__name__", None) in ("upgrade", "downgrade")
    return is_applying and not migration_context.as_sql


def verify_applied_history(migration_context: Any, script: Any, accepted: list[str]) -> None:
    """Refuse to run when the file of an applied revision changed or is gone.

    Revisions named in `accepted` get their file's checksum stored anew instead.
    """
    connection = migration_context.connection
    if not applies_revisions(migration_context) or not sa.inspect(connection).has_table(
        checksums.name
    ):
        return
    # The files, without alembic's revision map, which a deleted file would break first.
    folders = [Path(folder) for folder in script.version_locations] or [
        Path(script.dir, "versions")
    ]
    by_name = {path.name: path for folder in folders for path in folder.glob("**/*.py")}
    squashed = squash_baselines(script)
    for row in connection.execute(sa.select(checksums)).all():
        if row.revision in squashed and squashed[row.revision][0] == row.sha256:
            take_baseline(connection, row.revision, squashed[row.revision][1])
            continue
        path = by_name.get(row.file)
        if path is None:
            raise CommandError(
                f"revision {row.revision} was applied to this database, but its file "
                f"{row.file} is gone: restore it from version control"
            )
        if file_checksum(path) == row.sha256:
            continue
        if row.revision in accepted:
            connection.execute(
                checksums.update()
                .where(checksums.c.revision == row.revision)
                .values(sha256=file_checksum(path))
            )
            continue
        raise CommandError(
            f"{path.name} changed since revision {row.revision} was applied to this "
            "database: undo the edit and put the change in a new revision, or accept it "
            f"with alembic -x accept_edited={row.revision} upgrade head"
        )


def squash_baselines(script: Any) -> dict[str, tuple[str, Any]]:
    """Revision -> (checksum, baseline) for each file a squash baseline sums up.

    A baseline made by alembic_env_history.py's squash lists the files it replaced and their
    checksums in `squashed_checksums`; a database that applied exactly those files is at
    the baseline already (it keeps the head's id).
    """
    found: dict[str, tuple[str, Any]] = {}
    try:
        bases = [script.get_revision(base) for base in script.get_bases()]
    except Exception:  # noqa: BLE001 - a broken history: alembic says so itself, later
        return found
    for baseline in bases:
        for revision, sha256 in getattr(baseline.module, "squashed_checksums", {}).items():
            found[revision] = (sha256, baseline)
    return found


def take_baseline(connection: Any, revision: str, baseline: Any) -> None:
    """Put the baseline's checksum in place of what a squashed revision's file had."""
    forget = checksums.delete().where(checksums.c.revision == revision)
    connection.execute(forget)
    if revision == baseline.revision:
        values = {"revision": revision, "file": Path(baseline.path).name}
        connection.execute(
            checksums.insert().values(sha256=file_checksum(baseline.path), **values)
        )


def record_checksums(ctx: Any, step: Any, **kwargs: Any) -> None:
    """on_version_apply: store an applied revision's checksum, forget a downgraded one's.

    It runs in the transaction that records the revision in alembic_version.
    """
    if ctx.as_sql or ctx.connection is None or getattr(step, "is_stamp", False):
        return
    connection = ctx.connection
    revisions = list(getattr(step, "up_revision_ids", ()) or [step.up_revision_id])
    if step.is_upgrade:
        checksums.create(connection, checkfirst=True)
        connection.execute(checksums.delete().where(checksums.c.revision.in_(revisions)))
        for revision in revisions:
            path = step.revision_map.get_revision(revision).path
            values = {"revision": revision, "file": Path(path).name}
            connection.execute(checksums.insert().values(sha256=file_checksum(path), **values))
    elif sa.inspect(connection).has_table(checksums.name):
        connection.execute(checksums.delete().where(checksums.c.revision.in_(revisions)))
        if not connection.execute(sa.select(sa.func.count()).select_from(checksums)).scalar():
            checksums.drop(connection)
