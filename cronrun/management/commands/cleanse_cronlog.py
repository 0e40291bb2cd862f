"""Delete cron log rows older than CRON_LOG_RETENTION_DAYS (180 by default)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandParser

from cronrun.commands import JobCommand
from cronrun.config import load_cron_jobs_settings
from cronrun.models import Log


class Command(JobCommand):
    help = "Delete old cron log rows. Example: jansky cron cleanse_cronlog --dry-run"
    has_dry_run = True

    def add_job_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, help="keep this many days (CRON_LOG_RETENTION_DAYS)"
        )

    def run(self, **options: Any) -> None:
        days = options["days"] or load_cron_jobs_settings().log_retention_days
        if days < 1:
            raise ValueError(f"--days must be at least 1, got {days}")
        cutoff = options["run_time"] - datetime.timedelta(days=days)
        old = Log.objects.filter(log_time__lt=cutoff)
        if options["dry_run"]:
            self.say(
                f"would delete {old.count():,} log rows older than {cutoff:%Y-%m-%d %H:%M} UTC"
            )
            return
        deleted, _ = old.delete()
        self.say(f"deleted {deleted:,} log rows older than {cutoff:%Y-%m-%d %H:%M} UTC")
