"""The small jobs: cleanse_cronlog, clearsessions, searchindices on SQLite, crontest."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.core.management.base import CommandError
from django.utils import timezone

from cronrun.management.commands.crontest import CrontestFailure
from cronrun.models import Log
from tests.unit.cronrun.conftest import run_command
from webapp.crashstats.models import MissingProcessedCrash

pytestmark = pytest.mark.django_db


def log_at(days_ago: float) -> Log:
    return Log.objects.create(
        app_name="crontest", log_time=timezone.now() - datetime.timedelta(days=days_ago), duration=1
    )


def test_cleanse_cronlog_deletes_old_rows(monkeypatch):
    old, recent = log_at(200), log_at(10)
    assert "would delete 1 log rows" in run_command("cleanse_cronlog", "--dry-run")
    assert Log.objects.count() == 2
    assert "deleted 1 log rows" in run_command("cleanse_cronlog")
    assert list(Log.objects.values_list("pk", flat=True)) == [recent.pk]
    assert "deleted 1 log rows" in run_command("cleanse_cronlog", "--days", "5")
    monkeypatch.setenv("CRON_LOG_RETENTION_DAYS", "0")
    with pytest.raises(CommandError, match="CRON_LOG_RETENTION_DAYS must be at least 1"):
        run_command("cleanse_cronlog")
    assert old.pk != recent.pk


def test_clearsessions_deletes_expired_sessions():
    Session.objects.create(
        session_key="old", session_data="", expire_date=timezone.now() - datetime.timedelta(1)
    )
    Session.objects.create(
        session_key="new", session_data="", expire_date=timezone.now() + datetime.timedelta(1)
    )
    run_command("clearsessions")
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]


def test_searchindices_has_nothing_to_do_on_sqlite(embedded):
    assert "0 indices created" in run_command("searchindices")
    with pytest.raises(CommandError, match="--weeks cannot be negative"):
        run_command("searchindices", "--weeks", "-1")


def test_crontest():
    assert run_command("crontest", "--print", "--run-time", "2024-03-09T04:00").strip() == (
        "run-time=2024-03-09T04:00 last-success=-"
    )
    with pytest.raises(CrontestFailure):
        run_command("crontest", "--crash")
    with pytest.raises(CommandError, match="must be YYYY-MM-DDTHH:MM"):
        run_command("crontest", "--run-time", "soon")


def test_retention_refuses_a_bad_number_of_days(embedded):
    with pytest.raises(CommandError, match="--days must be at least 1"):
        run_command("retention", "--days", "-3")


def test_retention_forgets_old_missing_crash_records(embedded):
    old = MissingProcessedCrash.objects.create(crash_id="00000001-0000-0000-0000-000000240101")
    MissingProcessedCrash.objects.filter(pk=old.pk).update(
        created=timezone.now() - datetime.timedelta(days=200)
    )
    MissingProcessedCrash.objects.create(crash_id="00000002-0000-0000-0000-000000240102")
    assert "would delete 1 missing-crash records" in run_command("retention", "--dry-run")
    assert MissingProcessedCrash.objects.count() == 2
    assert "deleted 1 missing-crash records" in run_command("retention")
    assert list(MissingProcessedCrash.objects.values_list("crash_id", flat=True)) == [
        "00000002-0000-0000-0000-000000240102"
    ]
