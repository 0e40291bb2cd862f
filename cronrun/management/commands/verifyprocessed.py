"""Find the crashes of a day that have no processed crash or are missing from search, record
them (MissingProcessedCrash) and queue them for reprocessing."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandParser

from cronrun.commands import JobCommand
from cronrun.config import load_cron_jobs_settings
from cronrun.metrics import METRICS
from cronrun.progress import Progress
from cronrun.tasks.missing import record_missing
from cronrun.tasks.verify import PrefixCheck, queue_for_reprocessing, verify_day
from webapp.crashstats import backends


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


class Command(JobCommand):
    help = (
        "Check that every crash of the day before --run-time (or of --date) was processed and "
        "indexed; record and requeue those that were not. "
        "Example: jansky cron verifyprocessed --date 2024-03-09"
    )
    takes_run_time = True

    def add_job_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=day, help="the day to check, YYYY-MM-DD")

    def run(self, **options: Any) -> None:
        day = options["date"] or (options["run_time"] - datetime.timedelta(days=1)).date()
        storage = backends.storage()
        prefixes = 16**storage.listing_prefix_digits
        self.say(f"verifyprocessed: checking the crashes of {day} ({prefixes:,} id prefixes)")
        progress = Progress(
            "verifyprocessed", self.stdout, ("crashes", "missing", "prefixes"), total=None
        )
        missing = 0

        def found(result: PrefixCheck) -> None:
            nonlocal missing
            if result.missing:
                record_missing(result.missing)
                queue_for_reprocessing(backends.queue(), result.missing)
                for crash_id in result.unprocessed:
                    self.say(f"missing: {crash_id} has no processed crash")
                for crash_id in result.unindexed:
                    self.say(f"missing: {crash_id} is not in the search index")
                missing += len(result.missing)
            progress.add(crashes=result.checked, missing=len(result.missing), prefixes=1)

        verify_day(storage, backends.search(), day, load_cron_jobs_settings().workers, found)
        progress.report()
        METRICS.gauge("verifyprocessed.missing_processed", missing)
        queued = ", all queued for reprocessing" if missing else ""
        self.say(
            f"verifyprocessed: {day}: {progress.counts['crashes']:,} crashes checked, "
            f"{missing:,} missing{queued}"
        )
