"""Write the SQL of each revision to its own file, for a linter (squawk, in CI).

    python -m tests.revision_sql build/revision-sql | xargs --no-run-if-empty squawk

Runs `alembic upgrade <previous>:<revision> --sql` for every revision, oldest first, and
prints the path of each file it writes. $DATABASE_URL picks the dialect; nothing connects.
A revision that reads rows (`op.get_bind().execute(...).fetchall()`) has no SQL without a
database to read: it is left out, with one line on stderr saying so; review it by hand.

A finding of squawk that the team accepts is written down in the revision, with the reason:

    # squawk: ignore require-concurrent-index-creation -- the table is empty until launch

and becomes `-- squawk-ignore-file <rules>` at the top of that revision's SQL alone.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

from alembic.script import Script

from .lint_baseline import UnknownBaseline, after_baseline
from .revisions import ALEMBIC_INI, PROJECT, revision_scripts

IGNORE_COMMENT = re.compile(r"#\s*squawk:\s*ignore\b(?P<rest>.*)")
RULE_NAME = re.compile(r"[a-z][a-z0-9-]*")


# What a read from the database meets under --sql: execute() returns None, and the
# connection is a MockConnection that nothing can inspect.
OFFLINE_READ = re.compile(r"'NoneType' object|MockConnection")


class RevisionSqlError(Exception):
    """The SQL of a revision cannot be written; the message says why and what to do."""


class RevisionReadsRows(RevisionSqlError):
    """The revision reads the database, which --sql cannot: it has no SQL to lint."""


def accepted_findings(script: Script) -> list[str]:
    """squawk-ignore-file lines for the `# squawk: ignore RULE, ... -- reason` comments."""
    path = Path(script.path)
    source = path.read_text(encoding="utf-8")
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        found = IGNORE_COMMENT.fullmatch(token.string) if token.type == tokenize.COMMENT else None
        if not found:
            continue
        names, _, reason = found["rest"].partition("--")
        rules = [name.strip() for name in names.split(",") if name.strip()]
        where = f"{path.name}:{token.start[0]}"
        if not rules or not all(RULE_NAME.fullmatch(rule) for rule in rules):
            raise RevisionSqlError(
                f"{where}: name squawk's rules, e.g. "
                "# squawk: ignore require-concurrent-index-creation -- why it is safe here"
            )
        if not reason.strip():
            raise RevisionSqlError(f"{where}: say why after --, e.g. -- the table is still empty")
        lines.append(f"-- squawk-ignore-file {', '.join(rules)} -- {where}: {reason.strip()}\n")
    return lines


def revision_sql(script: Script, env: dict[str, str] | None = None) -> str:
    """The SQL `alembic upgrade` would run for one revision, and the findings it accepts."""
    span = f"{script.down_revision or 'base'}:{script.revision}"
    command = [sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), "upgrade", span, "--sql"]
    result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    if result.returncode:
        where = database_read(script)
        if where and OFFLINE_READ.search(result.stderr):
            raise RevisionReadsRows(
                f"{where} reads rows, which --sql cannot: its SQL is not linted; review it by hand"
            )
        raise RevisionSqlError(f"alembic upgrade {span} --sql failed:\n{result.stderr.strip()}")
    return "".join(accepted_findings(script)) + result.stdout


def database_read(script: Script) -> str | None:
    """`file:line` of the revision's first get_bind() call, where it reads the database."""
    path = Path(script.path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_bind"
    ]
    return f"{path.name}:{min(lines)}" if lines else None


def linted_scripts() -> list[Script]:
    """Every revision with SQL of its own, oldest first: merges have none. Only those after
    $SQUAWK_START_AFTER, where it is set (lint_baseline.py)."""
    own = [script for script in revision_scripts() if not isinstance(script.down_revision, tuple)]
    return after_baseline(own)


def write_revision_sql(folder: Path) -> list[Path]:
    """One .sql file per revision, numbered in history order; none for one that reads rows."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, script in enumerate(linted_scripts(), 1):
        try:
            sql = revision_sql(script)
        except RevisionReadsRows as skipped:
            print(f"skipped: {skipped}", file=sys.stderr)
            continue
        path = folder / f"{number:04d}_{script.revision}.sql"
        path.write_text(sql, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    """Write the files into the folder given as the first argument."""
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "build/revision-sql")
    try:
        written = write_revision_sql(folder)
    except (RevisionSqlError, UnknownBaseline) as error:
        raise SystemExit(f"ERROR: {error}") from None
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
