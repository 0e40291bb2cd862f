"""Derive each product's active and featured versions from the crashes of recent days."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandParser

from cronrun.commands import JobCommand
from cronrun.config import load_cron_jobs_settings
from cronrun.tasks.product_versions import read_versions, save_versions
from webapp.crashstats import backends


class Command(JobCommand):
    help = (
        "Read which products, channels, versions and builds crashed in the last --days days "
        "(CRON_PRODUCTVERSIONS_DAYS, 30) and update ProductVersion: rows, active and featured "
        "versions. Example: jansky cron productversions --dry-run"
    )
    takes_run_time = True
    has_dry_run = True

    def add_job_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="days of crashes to read")

    def run(self, **options: Any) -> None:
        settings = load_cron_jobs_settings()
        days = options["days"] or settings.productversions_days
        if days < 1:
            raise ValueError(f"--days must be at least 1, got {days}")
        end = options["run_time"]
        report = read_versions(backends.search(), end - datetime.timedelta(days=days), end)
        changes = save_versions(
            report, end, settings.productversions_min_crashes, options["dry_run"]
        )
        for product in sorted(changes.active):
            self.say(
                f"{product}: featured {', '.join(changes.featured[product]) or '-'}; "
                f"active {', '.join(changes.active[product])}"
            )
        verb = "would record" if options["dry_run"] else "recorded"
        self.say(
            f"productversions: {verb} {len(report.seen):,} builds of "
            f"{len(report.version_crashes):,} versions seen in the last {days} days"
        )
