"""Refuse crash reports beyond a per-worker number in flight, instead of queueing them.

Each request holds its whole body in memory, so bounding concurrency bounds a worker's memory;
an overloaded worker answers 503 with ``Retry-After`` at once and clients retry later.
"""

from __future__ import annotations

import logging
import threading

import falcon

from antenna.metrics import METRICS

logger = logging.getLogger(__name__)


class InFlightLimiter:
    """Falcon middleware counting ``POST`` requests to ``paths`` in flight in this process."""

    def __init__(self, max_in_flight: int, retry_after_seconds: int, paths: frozenset[str]):
        self.slots = threading.BoundedSemaphore(max_in_flight)
        self.retry_after_seconds = retry_after_seconds
        self.paths = paths

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.holds_slot = False
        if req.method != "POST" or req.path not in self.paths:
            return
        if not self.slots.acquire(blocking=False):
            METRICS.incr("breakpad_resource.overloaded")
            logger.warning("event=overloaded path=%s", req.path)
            resp.status = falcon.HTTP_503
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = ""
            resp.set_header("Retry-After", str(self.retry_after_seconds))
            resp.complete = True
            return
        req.context.holds_slot = True

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, succeeded: bool
    ) -> None:
        if getattr(req.context, "holds_slot", False):
            req.context.holds_slot = False
            self.slots.release()
