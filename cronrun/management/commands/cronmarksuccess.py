"""Record jobs as having just succeeded (after running them by hand, or to skip a backlog)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cronrun.jobs import find_job
from cronrun.locking import job_row
from cronrun.management.commands.cronreset import chosen_jobs
from cronrun.models import Job
from cronrun.schedule import snap


class Command(BaseCommand):
    help = (
        "Mark the named jobs (default: all) as succeeded now; a backfill job then resumes "
        "from now. Example: jansky cron marksuccess verifyprocessed"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("jobs", nargs="*", metavar="JOB", help="job names, or `all`")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        for name in chosen_jobs(options["jobs"], default_all=True):
            spec = find_job(name)
            moment = snap(now, spec.time_of_day)
            job = job_row(name)
            Job.objects.filter(pk=job.pk).update(
                last_success=moment, next_run=moment, first_run=job.first_run or now
            )
            self.stdout.write(f"{name}: marked as succeeded at {moment:%Y-%m-%d %H:%M} UTC")
