"""Forget the state of jobs (their rows), so they run as if never run before."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cronrun.jobs import configured_jobs
from cronrun.models import Job


def chosen_jobs(names: list[str], default_all: bool = False) -> list[str]:
    """Job names from the arguments; ``all`` (or nothing, when allowed) means every job."""
    known = [spec.cmd for spec in configured_jobs()]
    if names == ["all"] or (not names and default_all):
        return known
    if not names:
        raise CommandError("name the jobs (or `all`)")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise CommandError(f"unknown job(s) {', '.join(unknown)}; the jobs are: {', '.join(known)}")
    return names


class Command(BaseCommand):
    help = (
        "Delete the state of the named jobs (or `all`). Example: jansky cron reset verifyprocessed"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("jobs", nargs="+", metavar="JOB", help="job names, or `all`")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in chosen_jobs(options["jobs"]):
            deleted, _ = Job.objects.filter(app_name=name).delete()
            self.stdout.write(f"{name}: {'reset' if deleted else 'had no state'}")
