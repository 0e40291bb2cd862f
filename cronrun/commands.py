"""What every job's management command shares: ``--run-time``, ``--last-success`` and
``--dry-run``, parsed once, so each command only does its job."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from everett import ConfigurationError

from cronrun.schedule import InvalidSchedule, parse_run_time


def _run_time(text: str) -> datetime.datetime:
    try:
        return parse_run_time(text)
    except InvalidSchedule as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class JobCommand(BaseCommand):
    """A job. ``run_time`` is the moment the run stands for (now unless the runner backfills);
    ``last_success`` the previous successful run, when the job asks for it."""

    takes_run_time = False
    takes_last_success = False
    has_dry_run = False

    def add_arguments(self, parser: CommandParser) -> None:
        if self.takes_run_time:
            parser.add_argument(
                "--run-time",
                type=_run_time,
                help="the moment this run stands for, YYYY-MM-DDTHH:MM UTC (default: now)",
            )
        if self.takes_last_success:
            parser.add_argument(
                "--last-success",
                type=_run_time,
                help="when the job last succeeded, YYYY-MM-DDTHH:MM UTC (the runner passes it)",
            )
        if self.has_dry_run:
            parser.add_argument(
                "--dry-run", action="store_true", help="say what would change; change nothing"
            )
        self.add_job_arguments(parser)

    def add_job_arguments(self, parser: CommandParser) -> None:
        """The command's own options."""

    def handle(self, *args: Any, **options: Any) -> None:
        options.setdefault("run_time", None)
        options["run_time"] = options["run_time"] or timezone.now()
        options.setdefault("last_success", None)
        options.setdefault("dry_run", False)
        try:
            self.run(**options)
        except (ValueError, ConfigurationError) as exc:  # bad options or settings
            raise CommandError(str(exc)) from exc

    def run(self, **options: Any) -> None:
        raise NotImplementedError

    def say(self, text: str) -> None:
        self.stdout.write(text)
