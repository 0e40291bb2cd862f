"""The state of every job for `/monitoring/cron/`: last success, next run, last error, and
whether anything needs an SRE (a failing job, an overdue one, or no job ever run)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from cronrun.jobs import JobSpec
from cronrun.models import Job


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def cron_status(
    jobs: Sequence[JobSpec],
    now: datetime.datetime,
    overdue_after: datetime.timedelta,
    lock_max_age: datetime.timedelta,
) -> dict[str, Any]:
    """``{"status": "ok" | "error", "errors": [...], "jobs": {name: {...}}}``.

    A job is overdue once ``overdue_after`` past its next run, unless it is running under a
    live lock (a long run is not late). Errors carry the exception type and message, never
    the traceback (this page needs no login).
    """
    rows = {job.app_name: job for job in Job.objects.all()}
    errors = []
    states = {}
    for spec in jobs:
        job = rows.get(spec.cmd)
        ran = job is not None and (job.last_run is not None or job.last_success is not None)
        running = job is not None and job.ongoing is not None and now - job.ongoing <= lock_max_age
        overdue = bool(ran and job.next_run and now - job.next_run > overdue_after and not running)
        last_error = None
        if job is not None and job.error_count:
            error = job.last_error or {}
            last_error = {"type": error.get("type"), "value": error.get("value")}
            errors.append(
                f"{spec.cmd}: {job.error_count} failed runs in a row, last "
                f"{last_error['type']}: {last_error['value']}"
            )
        if overdue:
            errors.append(f"{spec.cmd}: overdue, its next run was {job.next_run.isoformat()}")
        states[spec.cmd] = {
            "schedule": spec.describe_schedule(),
            "last_success": _iso(job.last_success) if job else None,
            "last_run": _iso(job.last_run) if job else None,
            "next_run": _iso(job.next_run) if job else None,
            "running_since": _iso(job.ongoing) if running else None,
            "error_count": job.error_count if job else 0,
            "last_error": last_error,
            "never_run": not ran,
            "overdue": overdue,
        }
    if jobs and all(state["never_run"] for state in states.values()):
        errors.append("no job has run yet: is `jansky cron` running?")
    return {"status": "error" if errors else "ok", "errors": errors, "jobs": states}
