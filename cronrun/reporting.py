"""Metrics and Sentry for the process that runs jobs, set up once from the cron options."""

from __future__ import annotations

import socket

import sentry_sdk
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

from cronrun.config import CronSettings
from cronrun.metrics import configure_cron_metrics

_configured = False


def setup_reporting(settings: CronSettings) -> None:
    """Send metrics where CRON_STATSD_* say, and errors to CRON_SENTRY_DSN when it is set."""
    global _configured
    if _configured:
        return
    _configured = True
    configure_cron_metrics(settings.statsd_host, settings.statsd_port, settings.metrics_log)
    if settings.sentry_dsn:
        sentry_sdk.init(
            dsn=settings.sentry_dsn,
            server_name=socket.gethostname(),
            include_local_variables=False,
            default_integrations=False,
            integrations=[
                AtexitIntegration(),
                DedupeIntegration(),
                DjangoIntegration(),
                LoggingIntegration(event_level=None),
            ],
        )
