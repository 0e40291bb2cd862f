"""Run the scheduled jobs: with no arguments, a pass every 5 minutes until SIGTERM.

With arguments, one cron command: `run` (the due jobs now, or `--job NAME`), `list`, `reset`,
`marksuccess`, or a job's own command (`retention --dry-run`, `verifyprocessed --run-time
...`), run directly without touching the schedule. The database is DATABASE_URL (migrated on
the embedded default, as for `jansky webapp`); the crashes are STORAGE_URL, SEARCH_URL and
QUEUE_URL. docs/cron.md describes every job.
"""

from __future__ import annotations

import argparse
import os
import sys

from everett import ConfigurationError

from cronrun.config import CronConfigurationError, load_cron_settings
from cronrun.jobs import JOBS
from webapp.command import SETTINGS_MODULE, prepare_database
from webapp.config import WebappConfigurationError, load_webapp_settings

EXAMPLES = """\
  jansky cron                                     the loop: due jobs every CRON_LOOP_SECONDS
  jansky cron list                                every job, its schedule, last success, errors
  jansky cron run                                 the due jobs, once
  jansky cron run --job verifyprocessed --force   one job now, schedule untouched
  jansky cron run --job retention --force --job-arg dry-run
  jansky cron retention --dry-run                 a job's command directly: what would go
  jansky cron marksuccess updatesignatures        skip a backlog: resume from now
  jansky cron reset all                           forget every job's state
"""

ALIASES = {
    "run": "cronrun",
    "list": "cronlist",
    "reset": "cronreset",
    "marksuccess": "cronmarksuccess",
}
RUNNER_COMMANDS = frozenset(ALIASES.values())


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "arguments",
        nargs=argparse.REMAINDER,
        metavar="COMMAND [ARGS]",
        help=f"{', '.join(ALIASES)} or a job's command; none runs the loop",
    )


def command_name(word: str) -> str | None:
    """The Django command a `jansky cron` word names, or None if it names none."""
    name = ALIASES.get(word, word)
    if name in RUNNER_COMMANDS or name in {spec.cmd for spec in JOBS}:
        return name
    return None


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    arguments = list(args.arguments or [])
    name = command_name(arguments[0]) if arguments else None
    if arguments and name is None:
        known = ", ".join([*ALIASES, *(spec.cmd for spec in JOBS)])
        print(
            f"jansky cron: unknown command {arguments[0]!r}; use one of: {known}", file=sys.stderr
        )
        return 2
    try:
        webapp_settings = load_webapp_settings()
        cron_settings = load_cron_settings()
    except (
        WebappConfigurationError,
        CronConfigurationError,
        ConfigurationError,
        ValueError,
    ) as exc:
        print(f"jansky cron: {exc}", file=sys.stderr)
        return 2
    problem = prepare_database(webapp_settings)
    if problem:
        print(f"jansky cron: {problem}", file=sys.stderr)
        return 1
    if name is None:
        from cronrun.loop import run_loop

        return run_loop(cron_settings)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jansky cron", name, *arguments[1:]])
    return 0
