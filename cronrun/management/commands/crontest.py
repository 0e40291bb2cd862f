"""A job that does nothing, to check the runner: it can also print, wait or fail."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandParser

from cronrun.commands import JobCommand
from cronrun.schedule import format_run_time


class CrontestFailure(RuntimeError):
    """The failure ``crontest --crash`` asks for."""


class Command(JobCommand):
    help = "Do nothing (a test of the cron runner). Example: jansky cron crontest --print"
    takes_run_time = True
    takes_last_success = True

    def add_job_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--print", action="store_true", help="print the run time")
        parser.add_argument("--sleep", type=float, default=0.0, help="seconds to wait")
        parser.add_argument("--crash", action="store_true", help="fail with an exception")

    def run(self, **options: Any) -> None:
        if options["print"]:
            last = options["last_success"]
            self.say(
                f"run-time={format_run_time(options['run_time'])} "
                f"last-success={format_run_time(last) if last else '-'}"
            )
        if options["sleep"]:
            time.sleep(options["sleep"])
        if options["crash"]:
            raise CrontestFailure("crontest --crash: failing as asked")
