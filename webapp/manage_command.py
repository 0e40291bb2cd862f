"""Run one of Crash Stats' Django management commands (migrate, createsuperuser, ...).

The settings come from the environment, as for `jansky webapp`; `jansky manage help` lists
every command.
"""

from __future__ import annotations

import argparse
import os
import sys

EXAMPLES = """\
  jansky manage migrate                          create or update the database tables
  jansky manage createsuperuser                  an administrator account (/siteadmin/)
  jansky manage createtoken alice --permission view_pii --days 30
  jansky manage changepassword alice
  jansky manage help                             every command
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "arguments", nargs=argparse.REMAINDER, metavar="COMMAND [ARGS]", help="a Django command"
    )


def run(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    from webapp.config import WebappConfigurationError

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    try:
        execute_from_command_line(["jansky manage", *(args.arguments or ["help"])])
    except WebappConfigurationError as exc:
        print(f"jansky manage: {exc}", file=sys.stderr)
        return 2
    return 0
