"""The `alembic-template` command: alembic's command line, with our templates added.

Every alembic subcommand works as usual (`alembic-template upgrade head`); besides:

    alembic-template path [--config-format pyproject.toml]   the folder for `alembic init -t`
    alembic-template init [--config-format pyproject.toml] migrations
    alembic-template list_templates                          ours beside alembic's own
    alembic-template fleet --tenants a,b upgrade head        every tenant, N at a time
    alembic-template squash [-m MESSAGE]                     the history as one baseline
    alembic-template rebase REV [--force]                    REV's branch onto the other head
    alembic-template add-tests [--force]                     the test suite, into this repository
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

import alembic
from alembic import command
from alembic.config import CommandLine, Config

from . import __version__, add_tests, fleet
from .templates import (
    CONFIG_FORMATS,
    TEMPLATE_NAMES,
    combined_template_directory,
    migrations_dir,
    template_path,
)


class TemplateConfig(Config):
    """alembic's Config, reading templates from a folder that lists ours beside alembic's.

    This is the hook alembic offers for third-party templates (Flask-Migrate uses it
    too); `init` and `list_templates` both read the template folder through it.
    """

    def get_template_directory(self) -> str:
        return str(combined_template_directory())


def path(config: Config, config_format: str = "alembic.ini") -> None:
    """Print the folder of the migration environment template, for `alembic init -t`."""
    # print(), not config.print_stdout(): `-q` must not empty "$(alembic-template path)".
    print(template_path(config_format))


def history_module() -> ModuleType:
    """alembic_env_history.py of the migration environment: what generated projects run."""
    name = "alembic_env_history"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, migrations_dir() / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def squash(config: Config, message: str | None = None) -> None:
    """Fold the whole history up to the head into one baseline revision with head's id."""
    history_module().squash(config, message)


def rebase(config: Config, revision: str, force: bool = False) -> None:
    """Move the branch whose head is REVISION on top of the other head, ids kept."""
    history_module().rebase(config, revision, force=bool(force))


class TemplateCommandLine(CommandLine):
    """alembic's CommandLine with a `path` command, and `init` choosing our template."""

    def __init__(self, prog: str | None = "alembic-template") -> None:
        super().__init__(prog=prog)
        self.register_command(path)
        self.register_command(squash)
        self.register_command(rebase)
        self.subparsers.choices["rebase"].add_argument(
            "--force", action="store_true", help="rebase even where both branches touch a table"
        )
        fleet.add_parser(self.subparsers)
        add_tests.add_parser(self.subparsers)
        format_help = (
            "where alembic's options go: alembic.ini (the default; template "
            f"{TEMPLATE_NAMES['alembic.ini']}) or pyproject.toml's [tool.alembic] "
            f"(template {TEMPLATE_NAMES['pyproject.toml']})"
        )
        self.subparsers.choices["path"].add_argument(
            "--config-format", choices=CONFIG_FORMATS, default="alembic.ini", help=format_help
        )
        init = self.subparsers.choices["init"]
        init.add_argument("--config-format", choices=CONFIG_FORMATS, help=format_help)
        init.set_defaults(template=None)  # chosen from --config-format in main()
        version = f"%(prog)s {__version__} (alembic {alembic.__version__})"
        # argparse has no public way to change an option once added.
        self.parser._option_string_actions["--version"].version = version

    def main(self, argv: Sequence[str] | None = None) -> None:
        """Run a command as alembic's main() does, with a TemplateConfig."""
        options = self.parser.parse_args(argv)
        if not hasattr(options, "cmd"):
            self.parser.error("too few arguments")
        if options.cmd[0] is command.init:
            if options.template and options.config_format:
                self.parser.error("give --template or --config-format, not both")
            if not options.template:
                options.template = TEMPLATE_NAMES[options.config_format or "alembic.ini"]
        toml, ini = self._inis_from_config(options)
        config = TemplateConfig(
            file_=ini, toml_file=toml, ini_section=options.name, cmd_opts=options
        )
        self.run_cmd(config, options)


def main(argv: Sequence[str] | None = None) -> None:
    """alembic's command line with ours added (__main__.py checks alembic first)."""
    TemplateCommandLine().main(argv)
