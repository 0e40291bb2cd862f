"""Print every configuration option with its default, current value and documentation."""

from __future__ import annotations

import argparse
import sys

from jansky.config import documented_options, render_markdown

EXAMPLES = """\
  jansky config                 every option, its default and what it does
  jansky config --markdown      the same as the Markdown page docs/configuration.md
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--markdown", action="store_true", help="print the Markdown configuration reference"
    )


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        sys.stdout.write(render_markdown())
        return 0
    current = None
    for option in documented_options():
        if option.component != current:
            current = option.component
            print(f"\n# {current}")
        default = option.default or "(empty)"
        shown = f"  [set: {option.value}]" if option.value is not None else ""
        print(f"{option.key}  default: {default}{shown}")
        print(f"    {option.doc}")
    return 0
