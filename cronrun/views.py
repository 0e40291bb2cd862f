"""`/monitoring/cron/`: the jobs' state as JSON, 500 when an SRE should look."""

from __future__ import annotations

import datetime

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cronrun.config import load_cron_settings
from cronrun.jobs import configured_jobs
from cronrun.monitoring import cron_status
from webapp.crashstats.responses import json_response


@require_GET
def cron_monitoring(request: HttpRequest) -> HttpResponse:
    settings = load_cron_settings()
    status = cron_status(
        configured_jobs(),
        timezone.now(),
        overdue_after=datetime.timedelta(seconds=settings.overdue_seconds),
        lock_max_age=datetime.timedelta(seconds=settings.lock_max_age_seconds),
    )
    response = json_response(status, status=500 if status["errors"] else 200)
    response["Cache-Control"] = "no-store"
    return response
