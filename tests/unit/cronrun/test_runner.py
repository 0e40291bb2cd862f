"""The runner in one process on the test database, with a clock the tests move.

The jobs are ``crontest`` (the real no-op command) declared with the schedules each test
needs. The acceptance runs with real processes on SQLite and PostgreSQL are in
tests/integration/test_cron_runner_processes.py.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from markus.testing import MetricsMock
from sentry_sdk.transport import Transport

from cronrun import runner as runner_module
from cronrun.config import CronSettings
from cronrun.jobs import JobSpec
from cronrun.models import Job, Log
from cronrun.progress import JobStopped
from cronrun.runner import Outcome, Runner, job_arguments

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
START = datetime.datetime(2024, 3, 9, 10, 5, 30, tzinfo=UTC)
HOURLY = JobSpec("crontest", "1h", backfill=True, last_success=True, cmd_args=("--print",))
DAILY = JobSpec("crontest", "1d", time="04:00", cmd_args=("--print",))


class Clock:
    def __init__(self, now: datetime.datetime) -> None:
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def runner(clock: Clock) -> Runner:
    return Runner(CronSettings(error_retry_seconds=60, lock_max_age_seconds=7200), clock=clock)


def job_state(name: str = "crontest") -> dict[str, Any]:
    return Job.objects.filter(app_name=name).values().get()


def logged_run_times() -> list[str]:
    return [log.output.strip() for log in Log.objects.order_by("log_time", "run_time")]


def test_a_new_job_runs_at_once_and_is_scheduled(runner: Runner, clock: Clock):
    result = runner.run_job(HOURLY)
    assert (result.outcome, result.runs) == (Outcome.SUCCEEDED, 1)
    state = job_state()
    assert state["last_success"] == state["last_run"] == state["first_run"] == START
    assert state["next_run"] == START + datetime.timedelta(hours=1)
    assert state["ongoing"] is None and state["error_count"] == 0
    assert logged_run_times() == ["run-time=2024-03-09T10:05 last-success=-"]

    clock.advance(minutes=59)
    assert runner.run_job(HOURLY).outcome is Outcome.NOT_DUE
    assert Log.objects.count() == 1


def test_a_job_with_a_time_waits_for_it(runner: Runner, clock: Clock):
    clock.now = START.replace(hour=3, minute=59)
    assert runner.run_job(DAILY).outcome is Outcome.NOT_DUE
    clock.now = START.replace(hour=4, minute=2)
    assert runner.run_job(DAILY).outcome is Outcome.SUCCEEDED
    assert job_state()["next_run"] == START.replace(day=10, hour=4, minute=0, second=0)
    assert Log.objects.get().success == START.replace(hour=4, minute=2)


def test_missed_intervals_are_backfilled_in_order(runner: Runner, clock: Clock):
    runner.run_job(HOURLY)
    Log.objects.all().delete()
    clock.advance(hours=5, minutes=10)

    result = runner.run_job(HOURLY)

    assert (result.outcome, result.runs) == (Outcome.SUCCEEDED, 5)
    hours = [f"2024-03-09T{hour:02d}:05" for hour in range(10, 16)]
    assert logged_run_times() == [
        f"run-time={run_time} last-success={last}" for last, run_time in itertools.pairwise(hours)
    ]
    state = job_state()
    assert state["last_success"] == START.replace(hour=15)
    assert state["next_run"] == clock.now + datetime.timedelta(hours=1)
    assert [log.success for log in Log.objects.order_by("run_time")] == [
        START.replace(hour=hour) for hour in range(11, 16)
    ]


def test_a_failure_is_retried_after_the_retry_time(runner: Runner, clock: Clock):
    with MetricsMock() as metrics:
        result = runner.run_job(HOURLY, extra_args=["--crash"])
    assert result.outcome is Outcome.FAILED and "CrontestFailure" in result.detail
    metrics.assert_timing_once("socorro.cron.job_run", tags=["job:crontest", "result:failure"])
    state = job_state()
    assert state["error_count"] == 1 and state["last_success"] is None
    assert state["next_run"] == START + datetime.timedelta(seconds=60)
    assert state["last_error"]["type"] == "CrontestFailure"
    assert "Traceback" in state["last_error"]["traceback"]
    log = Log.objects.get()
    assert log.success is None and log.exc_type == "CrontestFailure"
    assert "failing as asked" in log.exc_value and "Traceback" in log.exc_traceback

    clock.advance(seconds=59)
    assert runner.run_job(HOURLY, extra_args=["--crash"]).outcome is Outcome.NOT_DUE
    clock.advance(seconds=2)
    assert runner.run_job(HOURLY, extra_args=["--crash"]).outcome is Outcome.FAILED
    assert job_state()["error_count"] == 2
    clock.advance(seconds=61)
    assert runner.run_job(HOURLY).outcome is Outcome.SUCCEEDED
    state = job_state()
    assert state["error_count"] == 0 and state["last_error"] == {}
    assert state["last_success"] == clock.now


def test_a_failed_backfill_resumes_from_its_last_success(
    runner: Runner, clock: Clock, monkeypatch: pytest.MonkeyPatch
):
    runner.run_job(HOURLY)
    clock.advance(hours=4)
    calls = []
    real_call_command = runner_module.call_command

    def fail_third(name: str, *args: str, **kwargs: Any) -> None:
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("the third run fails")
        real_call_command(name, *args, **kwargs)

    monkeypatch.setattr(runner_module, "call_command", fail_third)
    result = runner.run_job(HOURLY)
    assert (result.outcome, result.runs) == (Outcome.FAILED, 3)
    assert job_state()["last_success"] == START + datetime.timedelta(hours=2)

    monkeypatch.setattr(runner_module, "call_command", real_call_command)
    clock.advance(minutes=2)
    result = runner.run_job(HOURLY)
    assert (result.outcome, result.runs) == (Outcome.SUCCEEDED, 2)
    assert job_state()["last_success"] == START + datetime.timedelta(hours=4)


def test_force_runs_now_and_records_nothing(runner: Runner, clock: Clock):
    runner.run_job(HOURLY)
    before = job_state()
    logs = Log.objects.count()
    clock.advance(minutes=10)

    result = runner.run_job(HOURLY, force=True, extra_args=job_arguments(["sleep=0"]))

    assert result.outcome is Outcome.SUCCEEDED
    assert job_state() == before
    assert Log.objects.count() == logs
    failed = runner.run_job(HOURLY, force=True, extra_args=["--crash"])
    assert failed.outcome is Outcome.FAILED
    assert job_state() == before and Log.objects.count() == logs


def test_a_held_lock_skips_the_job(runner: Runner, clock: Clock):
    Job.objects.create(app_name="crontest", ongoing=START - datetime.timedelta(minutes=30))
    with MetricsMock() as metrics:
        result = runner.run_job(HOURLY)
    assert result.outcome is Outcome.LOCKED and "running elsewhere" in result.detail
    metrics.assert_incr_once("socorro.cron.job_locked", tags=["job:crontest"])
    assert Log.objects.count() == 0
    assert job_state()["ongoing"] == START - datetime.timedelta(minutes=30)
    assert runner.run_job(HOURLY, force=True).outcome is Outcome.LOCKED


def test_a_stale_lock_is_taken_over(runner: Runner, clock: Clock):
    Job.objects.create(app_name="crontest", ongoing=START - datetime.timedelta(hours=2, seconds=1))
    with MetricsMock() as metrics:
        result = runner.run_job(HOURLY)
    assert result.outcome is Outcome.SUCCEEDED
    metrics.assert_incr_once("socorro.cron.lock_takeover", tags=["job:crontest"])
    assert job_state()["ongoing"] is None and job_state()["last_success"] == START


def test_a_runner_whose_lock_was_taken_over_records_nothing(
    runner: Runner, monkeypatch: pytest.MonkeyPatch
):
    other = START + datetime.timedelta(hours=3)

    def taken_over(name: str, *args: str, **kwargs: Any) -> None:
        Job.objects.filter(app_name=name).update(ongoing=other)

    monkeypatch.setattr(runner_module, "call_command", taken_over)
    result = runner.run_job(HOURLY)
    assert (result.outcome, result.detail) == (Outcome.LOCKED, "lock taken over")
    state = job_state()
    assert state["ongoing"] == other  # the new owner's lock stays
    assert state["last_success"] is None and state["next_run"] is None


def test_each_recorded_run_renews_the_lock(
    runner: Runner, clock: Clock, monkeypatch: pytest.MonkeyPatch
):
    runner.run_job(HOURLY)
    clock.advance(hours=4, minutes=1)
    seen = []

    def slow(name: str, *args: str, **kwargs: Any) -> None:
        seen.append(job_state()["ongoing"])
        clock.advance(hours=1, minutes=30)  # four runs: far past the lock's two hours

    monkeypatch.setattr(runner_module, "call_command", slow)
    result = runner.run_job(HOURLY)

    assert (result.outcome, result.runs) == (Outcome.SUCCEEDED, 4)
    start = START + datetime.timedelta(hours=4, minutes=1)
    assert seen == [start + n * datetime.timedelta(hours=1, minutes=30) for n in range(4)]
    assert job_state()["ongoing"] is None


def test_a_stopped_run_comes_again(runner: Runner, monkeypatch: pytest.MonkeyPatch):
    def stopped(name: str, *args: str, **kwargs: Any) -> None:
        raise JobStopped("stopping")

    monkeypatch.setattr(runner_module, "call_command", stopped)
    assert runner.run_job(HOURLY).outcome is Outcome.STOPPED
    state = job_state()
    assert state["ongoing"] is None and state["error_count"] == 0 and state["next_run"] is None
    assert Log.objects.get().exc_type == "JobStopped"


def test_run_all_runs_the_due_jobs_in_order(runner: Runner, clock: Clock, settings):
    jobs = [JobSpec("crontest", "1h"), JobSpec("cleanse_cronlog", "7d", time="05:00")]
    settings.CRON_JOBS = jobs
    results = runner.run_all()
    assert [(r.job, r.outcome) for r in results] == [
        ("crontest", Outcome.SUCCEEDED),
        ("cleanse_cronlog", Outcome.SUCCEEDED),
    ]
    assert [r.outcome for r in runner.run_all()] == [Outcome.NOT_DUE, Outcome.NOT_DUE]
    # cleanse_cronlog runs at the real now: the crontest row, logged at the test's clock in
    # 2024, is past the 180 days it keeps.
    assert "deleted 1 log rows" in Log.objects.get(app_name="cleanse_cronlog").output
    assert list(Log.objects.values_list("app_name", flat=True)) == ["cleanse_cronlog"]


def test_output_is_logged_and_its_end_kept(clock: Clock, caplog: pytest.LogCaptureFixture):
    runner = Runner(CronSettings(log_output_bytes=20), clock=clock)
    with caplog.at_level("INFO", logger="cronrun"):
        runner.run_job(HOURLY)
    text = Log.objects.get().output
    assert text.startswith("[") and "earlier characters not kept" in text
    assert text.endswith("last-success=-\n") and len(text.split("\n", 1)[1]) == 20
    assert "job=crontest run-time=2024-03-09T10:05 last-success=-" in caplog.text


class CapturedEvents(Transport):
    events: list[Any] = []

    def capture_envelope(self, envelope: Any) -> None:
        self.events.append(envelope)


@pytest.fixture
def sentry_events() -> Iterator[list[Any]]:
    CapturedEvents.events = []
    sentry_sdk.init(dsn="https://key@sentry.example.com/1", transport=CapturedEvents)
    yield CapturedEvents.events
    sentry_sdk.init()


def test_failures_reach_sentry(runner: Runner, sentry_events: list[Any]):
    runner.run_job(HOURLY, extra_args=["--crash"])
    sentry_sdk.flush()
    events = [item.payload.json for envelope in sentry_events for item in envelope.items]
    errors = [event for event in events if event and event.get("exception")]
    assert len(errors) == 1
    assert errors[0]["tags"]["job"] == "crontest"
    assert errors[0]["exception"]["values"][-1]["type"] == "CrontestFailure"


@pytest.mark.parametrize(
    "values, expected",
    [(["a=1", "dry-run", "--b=x=y"], ["--a=1", "--dry-run", "--b=x=y"]), ([], [])],
)
def test_job_arguments(values, expected):
    assert job_arguments(values) == expected


def test_job_arguments_need_a_name():
    with pytest.raises(ValueError, match="names no option"):
        job_arguments(["=1"])
