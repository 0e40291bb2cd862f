"""The ``jansky`` command: one entry point, one module per subcommand.

A command module has a one-line docstring (its help), an optional ``EXAMPLES`` string, a
``configure(parser)`` function adding its arguments, and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

# Subcommand name -> module implementing it, in the order `jansky --help` lists them.
COMMANDS = {
    "run": "jansky.commands.run",
    "demo": "jansky.commands.demo",
    "collector": "antenna.command",
    "processor": "processor.command",
    "submit": "antenna.submit",
    "reprocess": "processor.reprocess_command",
    "cache-manager": "processor.cache_manager_command",
    "search": "jansky.search.command",
    "webapp": "webapp.command",
    "manage": "webapp.manage_command",
    "cron": "cronrun.command",
    "setup": "jansky.commands.setup",
    "healthcheck": "jansky.commands.healthcheck",
    "services": "jansky.services.command",
    "signature": "processor.signature.command",
    "symbols": "jansky.symbols.command",
    "config": "jansky.commands.config",
}

DESCRIPTION = """\
Jansky: a crash ingestion pipeline compatible with Mozilla's Socorro.

Every setting is an environment variable; `jansky config` lists them all."""


def _load(module_path: str) -> ModuleType:
    return importlib.import_module(module_path)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="jansky", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_path in COMMANDS.items():
        module = _load(module_path)
        summary = (module.__doc__ or "").strip().splitlines()[0]
        examples = getattr(module, "EXAMPLES", "")
        subparser = subparsers.add_parser(
            name,
            help=summary,
            description=(module.__doc__ or "").strip(),
            epilog=f"examples:\n{examples}" if examples else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure(subparser)
        subparser.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
