"""Create the weekly search indices ahead of time (search clusters; SQLite needs none)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from cronrun.commands import JobCommand
from cronrun.config import load_cron_jobs_settings
from webapp.crashstats import backends


class Command(JobCommand):
    help = (
        "Create this week's search index and the next --weeks ones (CRON_SEARCH_WEEKS_AHEAD, "
        "1), so the first crash of a week never waits for one. "
        "Example: jansky cron searchindices --weeks 2"
    )

    def add_job_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, help="weeks ahead to create")

    def run(self, **options: Any) -> None:
        weeks = options["weeks"]
        if weeks is None:
            weeks = load_cron_jobs_settings().search_weeks_ahead
        if weeks < 0:
            raise ValueError(f"--weeks cannot be negative, got {weeks}")
        search = backends.search()
        created = search.create_indices_ahead(weeks)
        for name in created:
            self.say(f"searchindices: created index {name}")
        self.say(f"searchindices: {len(created)} indices created ({search!r})")
