"""Lint only what is new: the revisions after a baseline, as strong_migrations' start_after.

$SQUAWK_START_AFTER names the baseline, in one of two forms:

    SQUAWK_START_AFTER=0002b8c4d2e9 pytest   # a revision: it and those before it are old
    SQUAWK_START_AFTER=origin/main pytest    # a git ref: revision files unchanged since are old

Old revisions are not linted; new ones, and files changed or added since the git ref, are.
Unset or empty, every revision is linted. CI sets it to the pull request's base.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from .revisions import PROJECT, project_config

VARIABLE = "SQUAWK_START_AFTER"


class UnknownBaseline(Exception):
    """$SQUAWK_START_AFTER names neither a revision nor a git ref; the message says so."""


def baseline() -> str:
    """The baseline $SQUAWK_START_AFTER names, or "" for none."""
    return os.environ.get(VARIABLE, "").strip()


def after_baseline(scripts: list[Script]) -> list[Script]:
    """The scripts that are new since the baseline: all of them without one."""
    start_after = baseline()
    if not start_after:
        return scripts
    old = revisions_up_to(start_after)
    if old is not None:
        return [script for script in scripts if script.revision not in old]
    changed = files_changed_since(start_after)
    return [script for script in scripts if Path(script.path).resolve() in changed]


def revisions_up_to(revision: str) -> set[str] | None:
    """The revision and every revision before it, or None if it is not one of ours."""
    directory = ScriptDirectory.from_config(project_config())
    try:
        found = directory.get_revision(revision)
    except CommandError:
        return None
    if found is None:  # "base"
        return set()
    return {script.revision for script in directory.iterate_revisions(found.revision, "base")}


def git(*arguments: str) -> str:
    """The output of a git command in the project, or UnknownBaseline saying what failed."""
    try:
        result = subprocess.run(["git", *arguments], cwd=PROJECT, capture_output=True, text=True)
    except FileNotFoundError:
        raise UnknownBaseline(
            f"{VARIABLE}={baseline()} is not a revision, and git is not installed to read it "
            "as a git ref: install git, or give a revision id (alembic history)"
        ) from None
    if result.returncode:
        raise UnknownBaseline(
            f"{VARIABLE}={baseline()} is neither a revision of the project (alembic history) "
            "nor a git ref of its repository (git log): give one of those, e.g. origin/main"
        )
    return result.stdout


def files_changed_since(ref: str) -> set[Path]:
    """The project's files that differ from the git ref, or that git does not track yet."""
    git("rev-parse", "--verify", "--quiet", ref + "^{commit}")  # a commit, not a path
    top = Path(git("rev-parse", "--show-toplevel").strip())
    changed = git("diff", "--name-only", "-z", ref, "--", ".").split("\0")
    untracked = git("ls-files", "--others", "--exclude-standard", "--full-name", "-z", ".")
    return {(top / name).resolve() for name in changed + untracked.split("\0") if name}
