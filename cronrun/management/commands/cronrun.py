"""Run every due job in order, or one job (`--job`), under the per-job locks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cronrun.config import load_cron_settings
from cronrun.jobs import find_job
from cronrun.reporting import setup_reporting
from cronrun.runner import Outcome, Runner, job_arguments


class Command(BaseCommand):
    help = (
        "Run the jobs that are due, in order, or only --job NAME. --force runs the job now "
        "without touching its schedule. Example: jansky cron run --job verifyprocessed --force "
        "--job-arg run-time=2024-03-10T00:00"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--job", help="run only this job (a name from `jansky cron list`)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="with --job: run it now even if not due, and record nothing (no log row, "
            "no schedule change)",
        )
        parser.add_argument(
            "--job-arg",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="with --job: pass --NAME=VALUE (or --NAME) to the job's command; repeatable",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["job"] and (options["force"] or options["job_arg"]):
            raise CommandError("--force and --job-arg need --job NAME")
        try:
            extra = job_arguments(options["job_arg"])
            spec = find_job(options["job"]) if options["job"] else None
        except (KeyError, ValueError) as exc:
            raise CommandError(exc.args[0]) from None
        settings = load_cron_settings()
        setup_reporting(settings)
        runner = Runner(settings)
        if spec is None:
            results = runner.run_all()
        else:
            results = [runner.run_job(spec, force=options["force"], extra_args=extra)]
        for result in results:
            self.stdout.write(result.describe())
        failed = [result.job for result in results if result.outcome is Outcome.FAILED]
        if failed:
            raise CommandError(f"failed: {', '.join(failed)} (`jansky cron list` shows why)")
