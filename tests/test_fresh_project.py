"""A baked project installs into its own fresh virtual environment and passes its gates.

The other tests run baked projects with this repository's environment; this one proves
the generated pyproject.toml pins are enough: pip install -e '.[dev]', then the project's
own pytest, ruff check and ruff format --check, as its README and CI run them.
"""

import subprocess
import sys

import pytest

# pip installs the project's pins from PyPI into a new venv: 20 s and the network.
pytestmark = [pytest.mark.xdist_group("fresh-venv"), pytest.mark.network, pytest.mark.slow]


def test_the_default_project_passes_its_own_gates_in_a_fresh_venv(project_copy):
    project = project_copy("default")
    subprocess.run([sys.executable, "-m", "venv", ".venv"], cwd=project, check=True)
    python = project / ".venv" / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--editable",
            ".[dev]",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    outputs = {}
    for gate in ("pytest -q -p no:cacheprovider", "ruff check", "ruff format --check"):
        result = subprocess.run(
            [str(python), "-m", *gate.split()],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"{gate}:\n{result.stdout[-3000:]}"
        outputs[gate] = result.stdout
    assert " passed" in outputs["pytest -q -p no:cacheprovider"]
    assert " failed" not in outputs["pytest -q -p no:cacheprovider"]
