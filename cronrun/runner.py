"""The cron runner: run due jobs under their locks, backfill missed runs, record every outcome.

For one job, a pass goes: due? -> take the lock -> due still? (another runner may just have
run it) -> one run per run time, oldest first, each logged and, when it succeeds, recorded as
the job's last success -> schedule the next run -> release the lock. A failed run stops the
backfill there (the next attempt resumes from the last success), schedules a retry after
``CRON_ERROR_RETRY_SECONDS`` and is reported to Sentry. Bookkeeping is written only while the
runner still holds its lock (:mod:`cronrun.locking`).
"""

from __future__ import annotations

import datetime
import enum
import logging
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import sentry_sdk
from django.core.management import call_command
from django.db import close_old_connections, connections
from django.db.models import F
from django.utils import timezone

from cronrun import locking
from cronrun.config import CronSettings
from cronrun.jobs import JobSpec, configured_jobs
from cronrun.metrics import METRICS
from cronrun.models import Job, Log
from cronrun.output import CapturedOutput
from cronrun.progress import STOP, JobStopped
from cronrun.schedule import format_run_time, is_due, next_run_after, run_times, snap

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"  # the runner is shutting down; the run comes again next time
    NOT_DUE = "not due"
    LOCKED = "locked"  # another runner is running it
    WAITING = "waiting"  # a backfill job whose next interval has not come yet


@dataclass(frozen=True)
class JobResult:
    job: str
    outcome: Outcome
    runs: int = 0
    detail: str = ""

    def describe(self) -> str:
        runs = f" ({self.runs} run{'s' if self.runs != 1 else ''})" if self.runs else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.job}: {self.outcome.value}{runs}{detail}"


@dataclass(frozen=True)
class Run:
    """One execution of a job's command."""

    started: datetime.datetime
    duration: float
    output: str
    error: BaseException | None = None
    error_traceback: str = ""

    @property
    def stopped(self) -> bool:
        return isinstance(self.error, JobStopped)


def job_arguments(values: Iterable[str]) -> list[str]:
    """``--job-arg`` values as the command's options: ``name=value`` -> ``--name=value``,
    ``name`` -> ``--name``."""
    arguments = []
    for value in values:
        name, separator, rest = value.partition("=")
        name = name.strip().lstrip("-")
        if not name:
            raise ValueError(f"--job-arg {value!r} names no option; use NAME=VALUE or NAME")
        arguments.append(f"--{name}={rest}" if separator else f"--{name}")
    return arguments


class Runner:
    """Runs jobs for one process; ``clock`` is the time source (UTC, aware)."""

    def __init__(
        self,
        settings: CronSettings,
        clock: Callable[[], datetime.datetime] = timezone.now,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.lock_max_age = datetime.timedelta(seconds=settings.lock_max_age_seconds)
        self.retry = datetime.timedelta(seconds=settings.error_retry_seconds)

    # ---- passes ----------------------------------------------------------------------------

    def run_all(self, jobs: Sequence[JobSpec] | None = None) -> list[JobResult]:
        """Every due job, in declaration order, one after the other; stops between jobs once
        `jansky cron` is asked to stop."""
        results = []
        for spec in configured_jobs() if jobs is None else jobs:
            if STOP.is_set():
                break
            result = self.run_job(spec)
            results.append(result)
            level = logging.DEBUG if result.outcome is Outcome.NOT_DUE else logging.INFO
            logger.log(level, "%s", result.describe())
            tidy_connections()
        return results

    def run_job(
        self, spec: JobSpec, force: bool = False, extra_args: Sequence[str] = ()
    ) -> JobResult:
        """Run ``spec`` if it is due (now, with ``force``, and then without any bookkeeping)."""
        now = self.clock()
        job = locking.job_row(spec.cmd)
        if not force and not is_due(job.next_run, spec.time_of_day, now):
            return JobResult(spec.cmd, Outcome.NOT_DUE, detail=_next_run_text(job, spec))
        try:
            lock = locking.acquire(spec.cmd, now, self.lock_max_age)
        except locking.JobLocked as exc:
            METRICS.incr("job_locked", tags=[f"job:{spec.cmd}"])
            return JobResult(spec.cmd, Outcome.LOCKED, detail=str(exc))
        try:
            if force:
                return self._run_forced(spec, now, extra_args)
            return self._run_scheduled(spec, now, lock, extra_args)
        finally:
            lock.release()

    def _run_forced(
        self, spec: JobSpec, now: datetime.datetime, extra_args: Sequence[str]
    ) -> JobResult:
        last_success = Job.objects.get(app_name=spec.cmd).last_success
        run = self._execute(spec, self._arguments(spec, now, last_success, extra_args))
        return _result(spec, run, runs=1)

    def _run_scheduled(
        self,
        spec: JobSpec,
        now: datetime.datetime,
        lock: locking.HeldLock,
        extra_args: Sequence[str],
    ) -> JobResult:
        job = Job.objects.get(app_name=spec.cmd)
        if not is_due(job.next_run, spec.time_of_day, now):  # another runner just ran it
            return JobResult(spec.cmd, Outcome.NOT_DUE, detail=_next_run_text(job, spec))
        times = list(
            run_times(job.last_success, spec.interval, spec.time_of_day, spec.backfill, now)
        )
        if not times:
            first = snap(job.last_success, spec.time_of_day) + spec.interval
            lock.update(next_run=first)
            return JobResult(
                spec.cmd, Outcome.WAITING, detail=f"next run time {first:%Y-%m-%d %H:%M}"
            )
        last_success, first_run = job.last_success, job.first_run
        for count, run_time in enumerate(times, start=1):
            run = self._execute(spec, self._arguments(spec, run_time, last_success, extra_args))
            self._log(spec, run_time, run)
            if run.error is not None:
                if not run.stopped:
                    self._record_failure(lock, run)
                return _result(spec, run, runs=count)
            first_run = first_run or run.started
            recorded = lock.update(
                renew=self.clock(),
                last_success=run_time,
                last_run=run.started,
                first_run=first_run,
            )
            if not recorded:  # another runner owns the job now: leave the rest to it
                return JobResult(spec.cmd, Outcome.LOCKED, runs=count, detail="lock taken over")
            last_success = run_time
        lock.update(
            next_run=next_run_after(now, spec.interval, spec.time_of_day),
            error_count=0,
            last_error={},
        )
        return JobResult(spec.cmd, Outcome.SUCCEEDED, runs=len(times))

    # ---- one run ---------------------------------------------------------------------------

    def _arguments(
        self,
        spec: JobSpec,
        run_time: datetime.datetime,
        last_success: datetime.datetime | None,
        extra_args: Sequence[str],
    ) -> list[str]:
        arguments = list(spec.cmd_args)
        if spec.backfill:
            arguments.append(f"--run-time={format_run_time(run_time)}")
        if spec.last_success and last_success is not None:
            arguments.append(f"--last-success={format_run_time(last_success)}")
        return arguments + list(extra_args)

    def _execute(self, spec: JobSpec, arguments: list[str]) -> Run:
        """Run the command, its output logged and kept; never raises for the command's errors."""
        logger.info("job=%s starting: %s", spec.cmd, " ".join([spec.cmd, *arguments]))
        output = CapturedOutput(spec.cmd, self.settings.log_output_bytes)
        started = self.clock()
        began = time.monotonic()
        error: BaseException | None = None
        error_traceback = ""
        try:
            call_command(spec.cmd, *arguments, stdout=output, stderr=output)
        except JobStopped as exc:
            error = exc
            logger.warning("job=%s %s", spec.cmd, exc)
        except Exception as exc:
            error, error_traceback = exc, traceback.format_exc()
            logger.error("job=%s failed: %s: %s", spec.cmd, type(exc).__name__, exc)
            _report(spec, exc)
            tidy_connections()  # a connection the error broke is not used again
        finally:
            output.flush()
        duration = time.monotonic() - began
        result = "stopped" if isinstance(error, JobStopped) else "failure" if error else "success"
        METRICS.timing("job_run", duration * 1000, tags=[f"job:{spec.cmd}", f"result:{result}"])
        return Run(started, duration, output.text(), error, error_traceback)

    # ---- bookkeeping -----------------------------------------------------------------------

    def _log(self, spec: JobSpec, run_time: datetime.datetime, run: Run) -> None:
        failed = run.error is not None
        Log.objects.create(
            app_name=spec.cmd,
            log_time=run.started,
            run_time=run_time,
            duration=run.duration,
            success=None if failed else run_time,
            exc_type=type(run.error).__name__ if failed else None,
            exc_value=str(run.error) if failed else None,
            exc_traceback=run.error_traceback or None,
            output=run.output,
        )

    def _record_failure(self, lock: locking.HeldLock, run: Run) -> None:
        assert run.error is not None
        lock.update(
            next_run=self.clock() + self.retry,
            last_run=run.started,
            error_count=F("error_count") + 1,
            last_error={
                "type": type(run.error).__name__,
                "value": str(run.error),
                "traceback": run.error_traceback,
            },
        )


def tidy_connections() -> None:
    """Close database connections an error broke or that outlived their age, as Django does
    after each request; never inside a caller's transaction (tests run in one)."""
    if not any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        close_old_connections()


def _result(spec: JobSpec, run: Run, runs: int) -> JobResult:
    if run.error is None:
        return JobResult(spec.cmd, Outcome.SUCCEEDED, runs=runs)
    outcome = Outcome.STOPPED if run.stopped else Outcome.FAILED
    return JobResult(
        spec.cmd, outcome, runs=runs, detail=f"{type(run.error).__name__}: {run.error}"
    )


def _next_run_text(job: Job, spec: JobSpec) -> str:
    if job.next_run is not None:
        return f"next run {job.next_run:%Y-%m-%d %H:%M} UTC"
    return f"first run at {spec.time} UTC"


def _report(spec: JobSpec, exc: Exception) -> None:
    """Send a failed run to Sentry (a no-op unless CRON_SENTRY_DSN set it up)."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("job", spec.cmd)
        scope.capture_exception(exc)
