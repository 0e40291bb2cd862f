"""The collector's WSGI application: routes, middleware, error handling.

``create_app()`` is what gunicorn loads in each worker (``antenna.app:create_app()``); tests pass
their own settings, storage and queue. Nothing here touches a backend at start-up, so a slow or
down backend cannot stop workers from booting (``/__heartbeat__`` reports it instead).
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Mapping
from typing import Any

import falcon
import sentry_sdk
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware

from antenna.breakpad_resource import BreakpadSubmitterResource, SubmitOptions
from antenna.config import CollectorSettings, load_collector_settings
from antenna.crashmover import CrashMover
from antenna.health import BrokenResource, HeartbeatResource, LbHeartbeatResource, VersionResource
from antenna.limits import InFlightLimiter
from antenna.payload import Limits
from antenna.rulesets import load_rules
from antenna.sentry import configure_sentry, release_from_version_file
from antenna.throttler import Throttler
from jansky.metrics import configure_metrics
from jansky.queue.base import CrashQueue
from jansky.storage.base import CrashStorage

logger = logging.getLogger(__name__)

SUBMIT_PATH = "/submit"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"


def configure_logging(level: str) -> None:
    """One line per event on stderr; the collector's loggers at ``level``."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    for name in ("antenna", "falcon"):
        logging.getLogger(name).setLevel(level)
    logging.getLogger("fillmore").setLevel(logging.ERROR)


def _handle_uncaught(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any):
    """Log and report an unexpected error, then answer Falcon's plain 500."""
    if isinstance(ex, falcon.HTTPError):
        raise ex
    sentry_sdk.get_current_scope().set_transaction_name(req.path)
    sentry_sdk.capture_exception(ex)
    logger.exception("event=unhandled_exception path=%s", req.path)
    raise falcon.HTTPInternalServerError()


def _open_backends(env: Mapping[str, str] | None) -> tuple[CrashStorage, CrashQueue]:
    from jansky.queue import open_queue_from_settings
    from jansky.storage import open_storage_from_settings

    return open_storage_from_settings(env), open_queue_from_settings(env)


def build_app(
    settings: CollectorSettings,
    storage: CrashStorage,
    queue: CrashQueue,
    throttler: Throttler | None = None,
) -> falcon.App:
    """Wire the resources for ``settings`` over the given backends."""
    throttler = throttler or Throttler(load_rules(settings.throttle_rules))
    crashmover = CrashMover(
        storage,
        queue,
        max_attempts=settings.max_attempts,
        retry_sleep_seconds=settings.retry_sleep_seconds,
        budget_seconds=settings.retry_budget_seconds,
        max_threads=settings.threads + 4,
    )
    options = SubmitOptions(
        limits=Limits(
            max_body_bytes=settings.max_body_bytes,
            max_decompressed_bytes=settings.max_decompressed_bytes,
            max_annotation_bytes=settings.max_annotation_bytes,
        ),
        remove_fields=settings.remove_fields,
        submitter_bearer_token=settings.submitter_bearer_token,
        retry_after_seconds=settings.retry_after_seconds,
    )
    app = falcon.App(
        middleware=[
            InFlightLimiter(
                settings.max_in_flight, settings.retry_after_seconds, frozenset({SUBMIT_PATH})
            )
        ]
    )
    app.req_options.auto_parse_form_urlencoded = False
    app.add_route(SUBMIT_PATH, BreakpadSubmitterResource(options, throttler, crashmover))
    app.add_route("/__lbheartbeat__", LbHeartbeatResource())
    app.add_route(
        "/__heartbeat__",
        HeartbeatResource({"storage": storage.check_health, "queue": queue.check_health}),
    )
    app.add_route("/__version__", VersionResource(settings.version_file))
    app.add_route("/__broken__", BrokenResource())
    app.add_error_handler(Exception, _handle_uncaught)
    return app


def create_app(
    env: Mapping[str, str] | None = None,
    storage: CrashStorage | None = None,
    queue: CrashQueue | None = None,
) -> Any:
    """The configured collector: logging, metrics, Sentry, backends from the settings."""
    settings = load_collector_settings(env)
    configure_logging(settings.log_level)
    hostname = socket.gethostname()
    configure_metrics(settings.statsd_host, settings.statsd_port, settings.metrics_log, hostname)
    sentry_on = configure_sentry(
        settings.sentry_dsn, release_from_version_file(settings.version_file), hostname
    )
    if storage is None or queue is None:
        opened_storage, opened_queue = _open_backends(env)
        storage = storage or opened_storage
        queue = queue or opened_queue
    app = build_app(settings, storage, queue)
    wsgi_app: Any = SentryWsgiMiddleware(app) if sentry_on else app
    logger.info(
        "event=collector_ready storage=%s queue=%s rules=%s",
        type(storage).__name__,
        type(queue).__name__,
        settings.throttle_rules,
    )
    return wsgi_app
