"""A checkout without symbolic links (Windows' default) bakes a project that migrates.

git writes a symbolic link as a one-line file holding its target's path when
core.symlinks is false, so a template that linked its migration files would bake a
one-line env.py there. The repository keeps real files instead; this clones it that way,
bakes from the clone and runs the baked project's migrations.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .projects import MIGRATIONS, ROOT, alembic, run

pytestmark = pytest.mark.skipif(
    not (ROOT / ".git").exists() or shutil.which("git") is None,
    reason="needs a git checkout of the template and git",
)


def tracked_symlinks() -> list[str]:
    """Paths git stores as symbolic links (mode 120000) in the checkout's index."""
    listing = run(ROOT, "git", "ls-files", "--stage").stdout.splitlines()
    return [line.split("\t", 1)[1] for line in listing if line.startswith("120000 ")]


def test_the_repository_tracks_no_symbolic_links():
    assert tracked_symlinks() == []


def test_a_clone_without_symlinks_bakes_working_migration_files(tmp_path):
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "--quiet", "-c", "core.symlinks=false", str(ROOT), str(clone))
    baked = tmp_path / "baked"
    cookiecutter = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(baked)]
    run(tmp_path, *cookiecutter, str(clone), "database=sqlite")
    (project,) = baked.iterdir()
    migrations = project / "migrations"
    cloned = clone / MIGRATIONS.relative_to(ROOT)
    for source in sorted(path for path in cloned.iterdir() if path.is_file()):
        written = (migrations / source.name).read_bytes()
        assert written == source.read_bytes(), f"{source.name} differs from the clone's"
        assert len(written.splitlines()) > 3, f"{source.name} is a one-line path, not the file"
    url = f"sqlite:///{project / 'clone.db'}"
    upgraded = alembic(project, "upgrade", "head", extra_env={"DATABASE_URL": url})
    assert "Running upgrade" in upgraded.stderr
    check = alembic(project, "check", extra_env={"DATABASE_URL": url})
    assert "No new upgrade operations detected" in check.stdout


def test_git_writes_a_link_as_a_one_line_file_without_symlinks(tmp_path):
    """The failure this guards against, shown on a throwaway repository."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "real.py").write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    (repo / "link.py").symlink_to("real.py")
    for command in (
        ["git", "init", "--quiet"],
        ["git", "add", "."],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "x"],
    ):
        subprocess.run(command, cwd=repo, check=True)
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "--quiet", "-c", "core.symlinks=false", str(repo), str(clone))
    assert (clone / "link.py").read_text() == "real.py"
