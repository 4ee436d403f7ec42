"""An applied revision's file may not change or go unnoticed (alembic_env_integrity.py).

Its checksum is stored when the revision is applied; `upgrade` and `downgrade` then refuse
in one line while an applied file differs or is missing, until `-x accept_edited=REV`.
"""

from __future__ import annotations

import sys

import pytest

from .projects import MIGRATIONS, alembic

sys.path.insert(0, str(MIGRATIONS))
import alembic_env_integrity as integrity

INITIAL = "0001a1e7b1d4"
HEAD = "0002b8c4d2e9"


def failed_line(result) -> str:
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("FAILED:")]
    return line


def revision_file(project, revision: str):
    (path,) = (project / "migrations" / "versions").glob(f"*_{revision}_*.py")
    return path


@pytest.mark.slow
def test_an_edited_applied_revision_is_refused_until_accepted(project_copy, database_url):
    project = project_copy("default")
    alembic(project, "upgrade", "head", url=database_url)
    edited = revision_file(project, INITIAL)
    edited.write_text(edited.read_text() + "\n# a small fix after the fact\n")

    line = failed_line(alembic(project, "downgrade", "base", url=database_url, check=False))
    assert f"{edited.name} changed since revision {INITIAL} was applied" in line
    assert f"alembic -x accept_edited={INITIAL} upgrade head" in line
    assert f"{HEAD} (head)" in alembic(project, "current", url=database_url).stdout

    alembic(project, "-x", f"accept_edited={INITIAL}", "upgrade", "head", url=database_url)
    alembic(project, "downgrade", "-1", url=database_url)  # the new checksum holds
    alembic(project, "upgrade", "head", url=database_url)


def test_a_deleted_applied_revision_is_refused(project_copy, database_url):
    project = project_copy("default")
    alembic(project, "upgrade", "head", url=database_url)
    gone = revision_file(project, HEAD)
    gone.unlink()
    line = failed_line(alembic(project, "upgrade", "head", url=database_url, check=False))
    assert f"revision {HEAD} was applied to this database, but its file {gone.name} is gone" in (
        line
    )


def test_line_endings_are_no_edit(tmp_path):
    unix, windows = tmp_path / "unix.py", tmp_path / "windows.py"
    unix.write_bytes(b"a = 1\nb = 2\n")
    windows.write_bytes(b"a = 1\r\nb = 2\r\n")
    assert integrity.file_checksum(unix) == integrity.file_checksum(windows)
    windows.write_bytes(b"a = 1\r\nb = 3\r\n")
    assert integrity.file_checksum(unix) != integrity.file_checksum(windows)
