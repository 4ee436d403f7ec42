"""env.py's options are documented alike wherever a reader meets them.

The table in env.py's docstring is the reference. The options the code reads, the table
in migrations/README, and the tables of the template's README and of a baked project's
README must list the same options, environment variables and defaults.
"""

from __future__ import annotations

import re
import sys

from .projects import MIGRATIONS, ROOT

sys.path.insert(0, str(MIGRATIONS))
from alembic_env_config import DEFAULT_LOCK_RETRIES, TIMEOUT_DEFAULTS

# A row of the docstring's table: option, environment variable, default.
DOCSTRING_ROW = re.compile(r"^    ([a-z_.]+)\s+([A-Z_]+)\s+(.+)$")
# An option read in code: settings.option("name", "VARIABLE"), .seconds("name"), ...
OPTION_READ = re.compile(r'\.(option|seconds|flag|names)\(\s*"([a-z_.]+)"(?:,\s*"([A-Z_]+)")?')
# A row of a README's Markdown table whose first cell is an option in backticks.
MARKDOWN_ROW = re.compile(r"^\| `([a-z_.]+)` \|(.*)\|$")


def docstring_table(text: str) -> dict[str, tuple[str, str]]:
    """option -> (environment variable, default), from the indented table of a text."""
    header = text.index("    option ")
    block = text[header : text.index("\n\n", header)].splitlines()[1:]
    rows = {}
    for line in block:
        row = DOCSTRING_ROW.match(line)
        assert row, f"not a table row: {line!r}"
        rows[row[1]] = (row[2], row[3].strip())
    return rows


def reference() -> dict[str, tuple[str, str]]:
    return docstring_table((MIGRATIONS / "env.py").read_text())


def markdown_rows(text: str) -> dict[str, list[str]]:
    """option -> its other cells, backticks removed, from the README's options table."""
    lines = text.splitlines()
    (header,) = [i for i, line in enumerate(lines) if line.startswith("| option ")]
    rows = {}
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        row = MARKDOWN_ROW.match(line)
        if row:  # other rows: logging sections, -x arguments
            rows[row[1]] = [cell.strip().replace("`", "") for cell in row[2].split("|")]
    return rows


def test_the_table_lists_exactly_the_options_the_code_reads():
    read: dict[str, str] = {}
    for path in [MIGRATIONS / "env.py", *MIGRATIONS.glob("alembic_env_*.py")]:
        for _, name, variable in OPTION_READ.findall(path.read_text()):
            read[name] = variable or f"ALEMBIC_{name.upper()}"
    documented = {name: variable for name, (variable, _) in reference().items()}
    assert read == documented


def test_documented_defaults_are_the_codes_defaults():
    table = reference()
    for name, default in TIMEOUT_DEFAULTS.items():
        assert table[name][1] == default, name
    assert table["lock_retries"][1] == str(DEFAULT_LOCK_RETRIES)


def test_migrations_readme_carries_the_same_table():
    assert docstring_table((MIGRATIONS / "README").read_text()) == reference()


def test_the_template_readme_table_has_every_option_with_its_variable_and_default():
    rows = markdown_rows((ROOT / "README.md").read_text())
    table = reference()
    assert set(rows) == set(table)
    for name, (variable, default) in table.items():
        ini, toml, readme_variable, readme_default, _ = rows[name]
        assert readme_variable.split()[0] == variable, name
        assert name in ini and name in toml, name
        if not default.startswith("("):
            assert readme_default == default, name


def test_a_baked_readme_table_has_every_option_with_its_variable_and_default(bake):
    rows = markdown_rows((bake("default") / "README.md").read_text())
    table = reference()
    assert set(rows) == set(table)
    for name, (variable, default) in table.items():
        readme_variable, readme_default, _ = rows[name]
        assert readme_variable == variable, name
        if not default.startswith("("):
            assert readme_default == default, name
