"""List every job: its command line, schedule, last run and success, next run, last error."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cronrun.jobs import configured_jobs
from cronrun.models import Job


def _when(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


class Command(BaseCommand):
    help = "List the jobs with their schedule and state. Example: jansky cron list"

    def handle(self, *args: Any, **options: Any) -> None:
        rows = {job.app_name: job for job in Job.objects.all()}
        for spec in configured_jobs():
            flags = [
                flag
                for flag, on in (("backfill", spec.backfill), ("last-success", spec.last_success))
                if on
            ]
            self.stdout.write(f"{spec.cmd}: {spec.summary}")
            self.stdout.write(f"    command:      {' '.join([spec.cmd, *spec.cmd_args])}")
            self.stdout.write(
                f"    schedule:     {spec.describe_schedule()}"
                + (f" ({', '.join(flags)})" if flags else "")
            )
            job = rows.get(spec.cmd)
            if job is None or (job.last_run is None and job.last_success is None):
                self.stdout.write("    Never run.")
                continue
            self.stdout.write(f"    last run:     {_when(job.last_run)}")
            self.stdout.write(f"    last success: {_when(job.last_success)}")
            self.stdout.write(f"    next run:     {_when(job.next_run)}")
            if job.ongoing:
                self.stdout.write(f"    running since {_when(job.ongoing)}")
            if job.error_count:
                error = job.last_error or {}
                self.stdout.write(
                    f"    failing:      {job.error_count} error(s) in a row, last "
                    f"{error.get('type', '?')}: {error.get('value', '')}"
                )
