"""Remove the directories that the answers left empty; nothing else.

The template excludes files with conditional file names, but cookiecutter still creates
the directories that held them, so an excluded option can leave an empty folder behind.
This hook only deletes such folders, and only while they are empty: it is idempotent and
offline (cruft runs it again on every update). Standard library only. The answers are read
in one place, the constant below, as JSON text, so the module imports unrendered.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ANSWERS_JSON = r""" {"ci_workflow": {{ cookiecutter.ci_workflow | tojson }} } """

# For each yes/no answer, the folders that hold only what it adds, deepest first.
OPTIONAL_DIRECTORIES: dict[str, tuple[str, ...]] = {
    "ci_workflow": (".github/workflows", ".github"),
}


def excluded_directories(answers: Mapping[str, object]) -> list[str]:
    """The optional folders whose answer is off, deepest first within each answer."""
    return [
        directory
        for answer, directories in OPTIONAL_DIRECTORIES.items()
        if not answers[answer]
        for directory in directories
    ]


def remove_empty_directories(project: Path, directories: Iterable[str]) -> list[Path]:
    """Remove each folder that exists and is empty; return the ones removed."""
    removed = []
    for directory in directories:
        path = project / directory
        if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()
            removed.append(path)
    return removed


def main() -> int:
    """Tidy the project in the working directory, as cookiecutter runs this hook."""
    remove_empty_directories(Path.cwd(), excluded_directories(json.loads(ANSWERS_JSON)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
