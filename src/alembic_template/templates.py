"""Where the migration environment templates are, for `alembic init`.

Two templates, as alembic itself has `generic` and `pyproject`:

- ``alembic-template``: the folder ``template/`` as it is. It holds env.py and every
  migration template (the one source of them) and an ``alembic.ini.mako`` with all the
  options, so stock ``alembic init -t <that folder>`` writes an alembic.ini project.
- ``alembic-template-pyproject``: the same files, but the config templates of
  ``pyproject_config/``: options in pyproject.toml's ``[tool.alembic]``, logging in
  alembic.ini. They cannot sit in ``template/``: ``alembic init`` renders every
  ``alembic.ini.mako`` and ``pyproject.toml.mako`` it finds, so the alembic.ini route
  would then write both configs. This variant is assembled as a folder of links.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import alembic

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "template"
PYPROJECT_CONFIG_DIR = PACKAGE_DIR / "pyproject_config"

# The files `alembic init` renders into the project instead of copying them.
CONFIG_TEMPLATES = ("alembic.ini.mako", "pyproject.toml.mako")

CONFIG_FORMATS = ("alembic.ini", "pyproject.toml")
TEMPLATE_NAMES = {
    "alembic.ini": "alembic-template",
    "pyproject.toml": "alembic-template-pyproject",
}


def template_files(directory: Path) -> list[Path]:
    """The top-level files of a template folder: `alembic init` skips subfolders."""
    return sorted(path for path in directory.iterdir() if path.is_file())


def alembic_templates() -> dict[str, Path]:
    """alembic's own templates by name: the folders that have the README it lists."""
    templates = Path(alembic.__file__).resolve().parent / "templates"
    return {path.name: path for path in templates.iterdir() if (path / "README").is_file()}


def listing() -> dict[str, Path]:
    """Every entry of the combined template folder, relative path to its source."""
    entries = dict(alembic_templates())
    entries[TEMPLATE_NAMES["alembic.ini"]] = TEMPLATE_DIR
    pyproject = TEMPLATE_NAMES["pyproject.toml"]
    for source in template_files(TEMPLATE_DIR) + template_files(PYPROJECT_CONFIG_DIR):
        if source.parent == TEMPLATE_DIR and source.name in CONFIG_TEMPLATES:
            continue
        entries[f"{pyproject}/{source.name}"] = source
    return entries


def fingerprint(entries: dict[str, Path]) -> str:
    """Names the folder after what it links to, so a change of files builds a new one."""
    digest = hashlib.sha256(alembic.__version__.encode())
    for name, source in sorted(entries.items()):
        stat = source.stat()
        digest.update(f"{name}\0{source}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def link(source: Path, target: Path) -> None:
    """Link target to source; copy where links are not allowed (Windows without rights)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.symlink_to(source, target_is_directory=source.is_dir())
    except OSError:
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)


def cache_root() -> Path:
    """A private, writable folder for the combined template folders."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        root = base / "alembic-template"
        root.mkdir(parents=True, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except (OSError, RuntimeError):  # no home folder, or a read-only one
        pass
    return Path(tempfile.mkdtemp(prefix="alembic-template-"))


def is_complete(folder: Path, entries: dict[str, Path]) -> bool:
    """True when every entry is there and its link still leads somewhere."""
    return all((folder / name).exists() for name in entries)


def combined_template_directory() -> Path:
    """A folder listing alembic's templates and ours side by side, built once and reused.

    alembic reads templates from one folder (Config.get_template_directory) and has no
    plugin hook for more. Links to alembic's folders and to ours make that one folder
    without copying or patching anything (turning `-t NAME` into an absolute path would
    serve `init` but not `list_templates`, which lists one folder). It is built in a
    scratch folder and renamed into place, so concurrent runs never see half of one.
    """
    entries = listing()
    root = cache_root()
    final = root / fingerprint(entries)
    if is_complete(final, entries):
        return final
    scratch = Path(tempfile.mkdtemp(prefix="building-", dir=root))
    for name, source in entries.items():
        link(source, scratch / name)
    if final.exists() and not is_complete(final, entries):  # damaged by a cleaner: replace
        shutil.rmtree(final, ignore_errors=True)
    try:
        scratch.rename(final)
    except OSError:  # another process got there first
        shutil.rmtree(scratch, ignore_errors=True)
    return final


def template_path(config_format: str = "alembic.ini") -> Path:
    """The folder to give stock `alembic init -t` for a config format."""
    if config_format not in CONFIG_FORMATS:
        raise ValueError(f"config format must be one of {', '.join(CONFIG_FORMATS)}")
    if config_format == "alembic.ini":
        return TEMPLATE_DIR
    return combined_template_directory() / TEMPLATE_NAMES[config_format]
