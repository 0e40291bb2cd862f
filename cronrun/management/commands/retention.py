"""Delete crashes older than CRON_RETENTION_DAYS (180) from storage and search."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from cronrun.commands import JobCommand
from cronrun.config import load_cron_jobs_settings
from cronrun.metrics import METRICS
from cronrun.progress import Progress
from cronrun.tasks.missing import forget_missing
from cronrun.tasks.retention import (
    cutoff_date,
    cutoff_moment,
    delete_day,
    expired_dates,
)
from webapp.crashstats import backends


class Command(JobCommand):
    help = (
        "Delete the raw crashes, dumps, processed crashes and search entries of crashes filed "
        "more than --days days before --run-time (CRON_RETENTION_DAYS, 180). "
        "Example: jansky cron retention --dry-run"
    )
    takes_run_time = True
    has_dry_run = True

    def add_job_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="days of crashes to keep")

    def run(self, **options: Any) -> None:
        settings = load_cron_jobs_settings()
        days = options["days"] or settings.retention_days
        if days < 1:
            raise ValueError(f"--days must be at least 1, got {days}")
        dry_run = options["dry_run"]
        verb = "would delete" if dry_run else "deleted"
        cutoff = cutoff_date(options["run_time"], days)
        storage = backends.storage()
        dates = expired_dates(storage, cutoff)
        self.say(
            f"retention: keeping {days} days: deleting what was filed before {cutoff} "
            f"({len(dates)} dates)" + (" [dry run]" if dry_run else "")
        )
        progress = Progress("retention", self.stdout, ("crashes", "dates"), total=None)
        for day in dates:
            deleted = 0
            for count in delete_day(storage, day, settings.workers, dry_run):
                deleted += count
                progress.add(crashes=count)
                if not dry_run:
                    METRICS.incr("retention.deleted_crashes", count)
            progress.add(dates=1)
            self.say(f"retention: {verb} {deleted:,} crashes filed under {day}")
        progress.report()
        for item in backends.search().delete_crashes_before(cutoff_moment(cutoff), dry_run):
            self.say(f"retention: search: {verb} {item.describe()}")
        forgotten = forget_missing(cutoff, dry_run)
        self.say(f"retention: {verb} {forgotten:,} missing-crash records from before {cutoff}")
        self.say(f"retention: {verb} {progress.counts['crashes']:,} crashes from storage")
