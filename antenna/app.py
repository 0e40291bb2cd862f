"""The collector's ASGI application: routes, the submit gate, error handling.

``create_app()`` is what each gunicorn worker (:mod:`antenna.worker`, an event loop) loads;
tests pass their own settings, storage and queue. Nothing here touches a backend at start-up,
so a slow or down backend cannot stop workers from booting (``/__heartbeat__`` reports it).
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Mapping
from typing import Any

import falcon
import falcon.asgi
import sentry_sdk
from falcon.routing import CompiledRouter
from sentry_sdk.integrations.asgi import SentryAsgiMiddleware

from antenna.admission import ByteBudget
from antenna.body import BodyPolicy
from antenna.breakpad_resource import BreakpadSubmitterResource, SubmitOptions
from antenna.config import REPO_ROOT, CollectorSettings, load_collector_settings
from antenna.crashmover import CrashMover
from antenna.gate import SubmitGate
from antenna.health import (
    BrokenResource,
    HeartbeatResource,
    LbHeartbeatResource,
    VersionResource,
    build_version_info,
)
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


async def _handle_uncaught(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any
) -> None:
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


def _cloud(storage: CrashStorage) -> str:
    """Dockerflow's ``cloud``: where the crashes live (Antenna says AWS or GCP)."""
    from jansky.storage.s3 import S3CrashStorage

    return "AWS" if isinstance(storage, S3CrashStorage) else "local"


def limits_of(settings: CollectorSettings) -> Limits:
    """The parsing limits of these settings."""
    return Limits(
        max_body_bytes=settings.max_body_bytes,
        max_decompressed_bytes=settings.max_decompressed_bytes,
        max_annotation_bytes=settings.max_annotation_bytes,
        max_parts=settings.max_parts,
        max_dumps=settings.max_dumps,
        max_part_header_bytes=settings.max_part_header_bytes,
        max_json_bytes=settings.max_json_bytes,
        max_json_depth=settings.max_json_depth,
        max_json_elements=settings.max_json_elements,
        parse_seconds=settings.parse_seconds,
    )


def body_policy_of(settings: CollectorSettings) -> BodyPolicy:
    """How bodies are read under these settings: size, pace, time and admission."""
    return BodyPolicy(
        max_bytes=settings.max_body_bytes,
        idle_seconds=settings.body_idle_seconds,
        min_rate=settings.body_min_rate,
        max_seconds=settings.body_max_seconds,
        admission_seconds=settings.admission_wait_seconds,
    )


def build_app(
    settings: CollectorSettings,
    storage: CrashStorage,
    queue: CrashQueue,
    throttler: Throttler | None = None,
) -> SubmitGate:
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
        limits=limits_of(settings),
        remove_fields=settings.remove_fields,
        submitter_bearer_token=settings.submitter_bearer_token,
        retry_after_seconds=settings.retry_after_seconds,
    )
    submit = BreakpadSubmitterResource(options, throttler, crashmover, settings.threads)
    router = CompiledRouter()
    app = falcon.asgi.App(router=router)
    app.req_options.auto_parse_form_urlencoded = False
    app.add_route(SUBMIT_PATH, submit)
    app.add_route("/__lbheartbeat__", LbHeartbeatResource())
    app.add_route(
        "/__heartbeat__",
        HeartbeatResource({"storage": storage.check_health, "queue": queue.check_health}),
    )
    version_info = build_version_info(settings.version_file, REPO_ROOT, _cloud(storage))
    app.add_route("/__version__", VersionResource(version_info))
    app.add_route("/__broken__", BrokenResource())
    app.add_error_handler(Exception, _handle_uncaught)

    def is_submit(path: str) -> bool:
        found = router.find(path)
        return found is not None and found[0] is submit

    return SubmitGate(
        app,
        is_submit,
        body_policy_of(settings),
        ByteBudget(settings.max_bytes_in_flight),
        settings.retry_after_seconds,
    )


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
    asgi_app: Any = SentryAsgiMiddleware(app) if sentry_on else app
    logger.info(
        "event=collector_ready storage=%s queue=%s rules=%s",
        type(storage).__name__,
        type(queue).__name__,
        settings.throttle_rules,
    )
    return asgi_app
