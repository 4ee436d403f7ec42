"""Where the migration environment templates are, for `alembic init`.

The migration environment (env.py, its alembic_env_*.py siblings, the revision templates
and README) has one source: the cookiecutter template's ``migrations/`` folder, which the
wheel carries as ``alembic_template/migrations`` (pyproject.toml's force-include). Real
files there, not links, so that a checkout without symbolic links still bakes.

Two templates, as alembic itself has `generic` and `pyproject`, each those files plus the
config templates of one format:

- ``alembic-template``: ``config_ini/``, every option in alembic.ini;
- ``alembic-template-pyproject``: ``config_pyproject/``, options in pyproject.toml's
  ``[tool.alembic]``, logging in alembic.ini. ``alembic init`` renders every
  ``alembic.ini.mako`` and ``pyproject.toml.mako`` it finds, so the formats need folders
  of their own.

Both are assembled as folders of links beside alembic's own templates (see
combined_template_directory).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# In a checkout (or an editable install) the package sits in src/ of the template repo.
CHECKOUT_MIGRATIONS_DIR = (
    PACKAGE_DIR.parent.parent / "{{cookiecutter.project_slug}}" / "migrations"
)
CONFIG_DIRS = {
    "alembic.ini": PACKAGE_DIR / "config_ini",
    "pyproject.toml": PACKAGE_DIR / "config_pyproject",
}
CONFIG_FORMATS = tuple(CONFIG_DIRS)
TEMPLATE_NAMES = {
    "alembic.ini": "alembic-template",
    "pyproject.toml": "alembic-template-pyproject",
}


def migrations_dir() -> Path:
    """The one source of the migration environment: the wheel's copy, else the checkout's."""
    packaged = PACKAGE_DIR / "migrations"
    return packaged if (packaged / "env.py").is_file() else CHECKOUT_MIGRATIONS_DIR


def template_files(directory: Path) -> list[Path]:
    """The top-level files of a template folder: `alembic init` skips subfolders."""
    return sorted(path for path in directory.iterdir() if path.is_file() and path.suffix != ".pyc")


def alembic_templates() -> dict[str, Path]:
    """alembic's own templates by name: the folders that have the README it lists."""
    # Imported here, not above: template_path() needs no alembic (project_alembic.py).
    import alembic

    templates = Path(alembic.__file__).resolve().parent / "templates"
    return {path.name: path for path in templates.iterdir() if (path / "README").is_file()}


def listing() -> dict[str, Path]:
    """Every entry of the combined template folder, relative path to its source."""
    entries = dict(alembic_templates())
    migration_files = template_files(migrations_dir())
    for config_format, name in TEMPLATE_NAMES.items():
        for source in migration_files + template_files(CONFIG_DIRS[config_format]):
            entries[f"{name}/{source.name}"] = source
    return entries


def fingerprint(entries: dict[str, Path]) -> str:
    """Names the folder after what it links to, so a change of files builds a new one."""
    import alembic

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
    plugin hook for more. Links to alembic's folders and to our files make that one folder
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
    return combined_template_directory() / TEMPLATE_NAMES[config_format]
