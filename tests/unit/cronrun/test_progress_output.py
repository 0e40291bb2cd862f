"""Progress reports (counts, rate, gauges, stop requests) and the captured output of a run."""

from __future__ import annotations

import io
import logging

import markus
import pytest
import sentry_sdk
from markus.testing import MetricsMock

from cronrun import reporting
from cronrun.config import (
    CronConfigurationError,
    CronSettings,
    load_cron_jobs_settings,
    load_cron_settings,
)
from cronrun.output import CapturedOutput
from cronrun.progress import STOP, JobStopped, Progress


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_reports_counts_and_rate_every_period():
    out, clock = io.StringIO(), Ticks()
    progress = Progress("verifyprocessed", out, ("crashes", "missing"), every=10, clock=clock)
    with MetricsMock() as metrics:
        clock.now += 4
        progress.add(crashes=400, missing=1)
        assert out.getvalue() == ""
        clock.now += 6
        progress.add(crashes=600)
        metrics.assert_gauge(
            "socorro.cron.progress.count", 1000, tags=["job:verifyprocessed", "item:crashes"]
        )
        metrics.assert_gauge(
            "socorro.cron.progress.rate", 100.0, tags=["job:verifyprocessed", "item:crashes"]
        )
    assert out.getvalue() == "verifyprocessed: 1,000 crashes (100.0/s), 1 missing\n"


def test_progress_with_a_total_and_a_stop_request():
    out = io.StringIO()
    progress = Progress("retention", out, ("crashes",), total=50, clock=Ticks())
    STOP.set()
    try:
        with pytest.raises(JobStopped, match="stopped early"):
            progress.add(crashes=5)
    finally:
        STOP.clear()
    assert out.getvalue() == "retention: 5 of 50 crashes (0.0/s)\n"


def test_output_is_logged_line_by_line(caplog):
    output = CapturedOutput("job", limit=1000)
    with caplog.at_level(logging.INFO, logger="cronrun.output"):
        output.write("one\ntw")
        output.write("o\r\nthree")
        output.flush()
    assert [record.getMessage() for record in caplog.records] == [
        "job=job one",
        "job=job two",
        "job=job three",
    ]
    assert output.text() == "one\ntwo\r\nthree"


def test_output_keeps_its_end():
    output = CapturedOutput("job", limit=10)
    for chunk in ("0123456789", "abcdef", "XYZ"):
        output.write(chunk)
    assert output.text() == "[9 earlier characters not kept]\n9abcdefXYZ"


def test_settings_are_checked(monkeypatch):
    monkeypatch.setenv("CRON_LOOP_SECONDS", "0")
    monkeypatch.setenv("CRON_WORKERS", "0")
    with pytest.raises(CronConfigurationError, match="CRON_LOOP_SECONDS must be at least 1"):
        load_cron_settings()
    with pytest.raises(CronConfigurationError, match="CRON_WORKERS must be at least 1"):
        load_cron_jobs_settings()
    monkeypatch.setenv("CRON_AUDIT_EMAIL_DOMAINS", " Example.COM, @corp.example ,")
    monkeypatch.setenv("CRON_WORKERS", "2")
    assert load_cron_jobs_settings().audit_email_domains == ("example.com", "corp.example")


def test_reporting_turns_sentry_on_once(monkeypatch):
    monkeypatch.setattr(reporting, "_configured", False)
    try:
        reporting.setup_reporting(CronSettings(sentry_dsn="https://key@sentry.example.com/7"))
        assert sentry_sdk.get_client().dsn == "https://key@sentry.example.com/7"
        reporting.setup_reporting(CronSettings(sentry_dsn="https://other@sentry.example.com/8"))
        assert sentry_sdk.get_client().dsn == "https://key@sentry.example.com/7"
    finally:
        sentry_sdk.init()
        markus.configure([])
