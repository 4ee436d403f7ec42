"""The README's commands: `python3 tasks.py demo`, `... test` and `... bench NAME`.

Each first makes sure .venv holds this package with its test dependencies (pyproject.toml
pins them), reinstalling whenever pyproject.toml changes, so nothing depends on what was
installed by hand. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "installed-from.sha256"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def pyproject_digest() -> str:
    """A fingerprint of the dependency pins: a change means reinstalling."""
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the package with its test extras, when out of date."""
    if sys.version_info < (3, 10):  # noqa: UP036 - this file runs before any check can
        sys.exit("ERROR: Python 3.10 or newer is needed; run this with python3.10+")
    digest = pyproject_digest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == digest:
        return
    print(f"Setting up {VENV.relative_to(ROOT)} (once per change of pyproject.toml)...")
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--editable", f"{ROOT}[test]"], check=True)
    STAMP.write_text(digest)


def command_for(task: str, arguments: list[str]) -> list[str] | None:
    """The command line of a task, or None for an unknown one."""
    if task == "demo":
        return [str(PYTHON), str(ROOT / "tools" / "demo.py"), *arguments]
    if task == "test":
        return [str(PYTHON), "-m", "pytest", "-n", "auto", "--dist", "loadgroup", *arguments]
    if task == "bench" and arguments and (ROOT / "benchmarks" / f"{arguments[0]}.py").exists():
        return [str(PYTHON), str(ROOT / "benchmarks" / f"{arguments[0]}.py"), *arguments[1:]]
    return None


def main(argv: list[str]) -> int:
    """Run `demo`, `test` (arguments go to pytest) or `bench NAME` (benchmarks/NAME.py)."""
    command = command_for(argv[0], argv[1:]) if argv else None
    if command is None:
        benchmarks = "|".join(sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py")))
        print(
            f"usage: python3 tasks.py demo | test [pytest arguments] | bench {{{benchmarks}}}",
            file=sys.stderr,
        )
        return 2
    ensure_environment()
    return subprocess.run(command, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
