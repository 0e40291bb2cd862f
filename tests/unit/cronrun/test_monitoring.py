"""`/monitoring/cron/`: each job's state, and 500 when a job fails or is overdue."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cronrun.jobs import JobSpec
from cronrun.models import Job

pytestmark = pytest.mark.django_db
JOBS = [JobSpec("crontest", "1h"), JobSpec("verifyprocessed", "1d", time="04:00")]


@pytest.fixture(autouse=True)
def jobs(settings):
    settings.CRON_JOBS = JOBS


def status(client) -> tuple[int, dict]:
    response = client.get("/monitoring/cron/")
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def test_nothing_run_yet_is_an_error(client):
    code, body = status(client)
    assert code == 500 and body["status"] == "error"
    assert body["errors"] == ["no job has run yet: is `jansky cron` running?"]
    assert body["jobs"]["crontest"]["never_run"] is True


def test_healthy_jobs(client):
    now = timezone.now()
    Job.objects.create(
        app_name="crontest",
        last_run=now,
        last_success=now,
        next_run=now + datetime.timedelta(hours=1),
    )
    code, body = status(client)
    assert code == 200 and body == {
        "status": "ok",
        "errors": [],
        "jobs": {
            "crontest": {
                "schedule": "every 1h",
                "last_success": now.isoformat(),
                "last_run": now.isoformat(),
                "next_run": (now + datetime.timedelta(hours=1)).isoformat(),
                "running_since": None,
                "error_count": 0,
                "last_error": None,
                "never_run": False,
                "overdue": False,
            },
            "verifyprocessed": body["jobs"]["verifyprocessed"],
        },
    }
    assert body["jobs"]["verifyprocessed"]["never_run"] is True


def test_failing_and_overdue_jobs(client, monkeypatch):
    now = timezone.now()
    Job.objects.create(
        app_name="crontest",
        last_run=now,
        next_run=now + datetime.timedelta(seconds=60),
        error_count=3,
        last_error={"type": "StorageError", "value": "s3 is down", "traceback": "secret paths"},
    )
    Job.objects.create(
        app_name="verifyprocessed",
        last_run=now - datetime.timedelta(days=2),
        last_success=now - datetime.timedelta(days=2),
        next_run=now - datetime.timedelta(hours=3),
    )
    code, body = status(client)
    assert code == 500
    assert body["errors"][0] == "crontest: 3 failed runs in a row, last StorageError: s3 is down"
    assert body["errors"][1].startswith("verifyprocessed: overdue, its next run was ")
    assert body["jobs"]["crontest"]["last_error"] == {"type": "StorageError", "value": "s3 is down"}
    assert "secret paths" not in str(body)
    assert body["jobs"]["verifyprocessed"]["overdue"] is True

    monkeypatch.setenv("CRON_OVERDUE_SECONDS", str(4 * 3600))
    Job.objects.filter(app_name="crontest").update(error_count=0, last_error={})
    assert status(client)[0] == 200


def test_a_long_run_is_not_overdue(client):
    now = timezone.now()
    Job.objects.create(
        app_name="verifyprocessed",
        last_run=now - datetime.timedelta(days=1),
        last_success=now - datetime.timedelta(days=1),
        next_run=now - datetime.timedelta(hours=3),
        ongoing=now - datetime.timedelta(minutes=90),
    )
    code, body = status(client)
    assert code == 200
    assert body["jobs"]["verifyprocessed"]["running_since"] is not None
    Job.objects.update(ongoing=now - datetime.timedelta(hours=5))  # a dead runner's lock
    assert status(client)[0] == 500


def test_only_get(client):
    assert client.post("/monitoring/cron/").status_code == 405
