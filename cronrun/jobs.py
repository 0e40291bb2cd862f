"""Every scheduled job, in the order a pass runs them: the one place jobs are declared.

A job is a Django management command, run as ``<cmd> <cmd_args> [--run-time=...]
[--last-success=...]``. ``backfill`` jobs get ``--run-time`` and run once for every interval
missed since their last success; ``last_success`` jobs get the time of their previous success.
Tests (and deployments) may replace the list with a ``CRON_JOBS`` Django setting.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings

from cronrun.schedule import parse_frequency, parse_time


@dataclass(frozen=True)
class JobSpec:
    """How and when to run one job; ``cmd`` is also the job's name in the database."""

    cmd: str
    frequency: str = "1d"
    time: str | None = None
    backfill: bool = False
    last_success: bool = False
    cmd_args: tuple[str, ...] = field(default=())
    summary: str = ""

    def __post_init__(self) -> None:
        """A bad schedule fails where it is declared, not at its first run."""
        parse_frequency(self.frequency)
        if self.time:
            parse_time(self.time)

    @property
    def interval(self) -> datetime.timedelta:
        return parse_frequency(self.frequency)

    @property
    def time_of_day(self) -> datetime.time | None:
        return parse_time(self.time) if self.time else None

    def describe_schedule(self) -> str:
        every = f"every {self.frequency}"
        return f"{every} at {self.time} UTC" if self.time else every


JOBS: tuple[JobSpec, ...] = (
    JobSpec("crontest", "1d", summary="does nothing: shows the runner works"),
    JobSpec("clearsessions", "7d", time="05:00", summary="deletes expired login sessions"),
    JobSpec(
        "auditgroups",
        "1d",
        time="05:00",
        summary="removes users who no longer qualify from the protected-data groups",
    ),
    JobSpec("cleanse_cronlog", "7d", time="05:00", summary="deletes old rows of this log"),
    JobSpec(
        "bugassociations",
        "1h",
        last_success=True,
        summary="links signatures to the Bugzilla bugs that name them",
    ),
    JobSpec(
        "updatesignatures",
        "1h",
        backfill=True,
        last_success=True,
        summary="records the first build and date of every signature",
    ),
    JobSpec("searchindices", "1d", time="06:00", summary="creates next week's search index"),
    JobSpec(
        "retention",
        "1d",
        time="02:00",
        summary="deletes crashes past the retention period from storage and search",
    ),
    JobSpec(
        "updatemissing",
        "1d",
        time="03:00",
        summary="marks crashes found missing once they are processed",
    ),
    JobSpec(
        "verifyprocessed",
        "1d",
        time="04:00",
        backfill=True,
        summary="finds yesterday's crashes that were never processed and queues them",
    ),
    JobSpec(
        "upstreamsymbols",
        "1h",
        summary="heals crashes whose missing symbols an upstream symbol server now has",
    ),
    JobSpec(
        "productversions",
        "1h",
        summary="derives each product's active and featured versions from recent crashes",
    ),
)


def configured_jobs() -> Sequence[JobSpec]:
    """The jobs of this deployment: ``settings.CRON_JOBS`` when set, else :data:`JOBS`."""
    return tuple(getattr(settings, "CRON_JOBS", JOBS))


def find_job(name: str) -> JobSpec:
    for spec in configured_jobs():
        if spec.cmd == name:
            return spec
    known = ", ".join(spec.cmd for spec in configured_jobs())
    raise KeyError(f"no job called {name!r}; the jobs are: {known}")
