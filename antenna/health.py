"""Dockerflow endpoints: load-balancer ping, real backend checks, version, a deliberate error."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import falcon

from antenna.metrics import METRICS

logger = logging.getLogger(__name__)


class LbHeartbeatResource:
    """Always 200: the process is up and serving."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        METRICS.incr("health.lbheartbeat.count")
        resp.content_type = falcon.MEDIA_JSON
        resp.status = falcon.HTTP_200


class HeartbeatResource:
    """200 when every backend check passes; 503 listing the failing checks otherwise."""

    def __init__(self, checks: Mapping[str, Callable[[], None]]) -> None:
        self.checks = dict(checks)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        METRICS.incr("health.heartbeat.count")
        errors = []
        for name, check in self.checks.items():
            try:
                check()
            except Exception as exc:
                logger.warning("event=heartbeat_failed check=%s error=%r", name, exc)
                errors.append(f"{name}: {exc}")
        resp.media = {"errors": errors}
        resp.status = falcon.HTTP_503 if errors else falcon.HTTP_200


class VersionResource:
    """The deployed version.json, or ``{}`` when it is missing or unreadable."""

    def __init__(self, version_file: Path) -> None:
        self.version_file = version_file

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        METRICS.incr("health.version.count")
        try:
            info = json.loads(self.version_file.read_text())
        except (OSError, ValueError):
            info = {}
        resp.media = info if isinstance(info, dict) else {}


class BrokenResource:
    """Raises on purpose, to check that errors reach Sentry and the logs."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        METRICS.incr("health.broken.count")
        raise RuntimeError("intentional exception from /__broken__")
