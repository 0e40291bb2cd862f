"""``POST /submit``: the crash reporter protocol of Breakpad, Crashpad and Firefox.

Parse (bounded) -> throttle -> crash id -> store and queue -> answer. Every answer body is
byte-exact with Socorro's collector, so existing clients and tools understand it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import falcon

from antenna.crashmover import CrashMover, PublishFailed, SaveFailed
from antenna.metrics import METRICS
from antenna.payload import (
    Limits,
    MalformedPayload,
    Payload,
    PayloadTooLarge,
    check_request_headers,
    discard_body,
    parse_body,
    read_body,
)
from antenna.throttler import Result, Throttler
from jansky.crashid import InvalidCrashId, create_crash_id, validate_crash_id

logger = logging.getLogger(__name__)

RAW_CRASH_VERSION = 2


@dataclass(frozen=True)
class SubmitOptions:
    """The parts of the configuration the submit resource needs."""

    limits: Limits
    remove_fields: Sequence[str]
    submitter_bearer_token: str
    retry_after_seconds: int


def _text(resp: falcon.Response, status: int, body: str) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_TEXT
    resp.text = body


def _content_length(req: falcon.Request) -> int | None:
    """The declared length; None for a chunked upload (gunicorn rejects unparsable values)."""
    if req.content_length is not None:
        return req.content_length
    transfer_encoding = (req.get_header("Transfer-Encoding") or "").lower()
    return None if "chunked" in transfer_encoding else 0


def build_raw_crash(
    payload: Payload,
    crash_id: str,
    received: datetime.datetime,
    user_agent: str | None,
    throttle_rule: str,
    remove_fields: Sequence[str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The raw crash as stored: annotations minus removed fields, plus the collector's fields.

    Returns the raw crash and the dump checksums (sha256) it records.
    """
    raw_crash = dict(payload.annotations)
    notes = list(payload.notes)
    for name in remove_fields:
        if name in raw_crash:
            del raw_crash[name]
            notes.append(f"Removed {name} from raw crash.")
    checksums = {name: hashlib.sha256(data).hexdigest() for name, data in payload.dumps.items()}
    raw_crash["metadata"] = {
        "collector_notes": notes,
        "dump_checksums": checksums,
        "payload": payload.payload_type,
        "payload_compressed": "1" if payload.compressed else "0",
        "payload_size": payload.size_sent,
        "throttle_rule": throttle_rule,
        "user_agent": user_agent if user_agent is not None else "None",
    }
    raw_crash["submitted_timestamp"] = received.isoformat()
    raw_crash["uuid"] = crash_id
    raw_crash["version"] = RAW_CRASH_VERSION
    return raw_crash, checksums


class BreakpadSubmitterResource:
    """Accepts crash reports; one instance per worker, shared by its threads."""

    def __init__(self, options: SubmitOptions, throttler: Throttler, crashmover: CrashMover):
        self.options = options
        self.throttler = throttler
        self.crashmover = crashmover

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.status = falcon.HTTP_200
        resp.set_header("Allow", "POST")

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        started = time.perf_counter()
        try:
            self._handle(req, resp)
        finally:
            METRICS.timing("breakpad_resource.on_post.time", (time.perf_counter() - started) * 1000)

    def _parse(self, req: falcon.Request) -> Payload:
        limits = self.options.limits
        content_length = _content_length(req)
        boundary = check_request_headers(req.content_type, content_length)
        try:
            body = read_body(req.stream, content_length, limits.max_body_bytes)
        except PayloadTooLarge:
            # Let the client finish sending (up to a bound) so it can read the 413.
            discard_body(req.stream, content_length, 2 * limits.max_body_bytes)
            raise
        if not body:
            raise MalformedPayload("no_content_length")
        encoding = req.get_header("Content-Encoding")

        def on_decompress(seconds: float, ok: bool) -> None:
            METRICS.incr("breakpad_resource.gzipped_crash")
            METRICS.histogram(
                "breakpad_resource.gzipped_crash_decompress",
                seconds * 1000,
                tags=[f"result:{'success' if ok else 'fail'}"],
            )

        payload = parse_body(body, boundary, encoding, limits, on_decompress)
        METRICS.histogram(
            "breakpad_resource.crash_size",
            payload.size,
            tags=[f"payload:{'compressed' if payload.compressed else 'uncompressed'}"],
        )
        return payload

    def _authorized_submitter(self, req: falcon.Request) -> bool:
        token = self.options.submitter_bearer_token
        if not token:
            return False
        scheme, _, offered = (req.get_header("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            offered.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
        )

    def _handle(self, req: falcon.Request, resp: falcon.Response) -> None:
        received = datetime.datetime.now(datetime.UTC)
        try:
            payload = self._parse(req)
        except MalformedPayload as exc:
            METRICS.incr("breakpad_resource.malformed", tags=[f"reason:{exc.reason}"])
            logger.info("event=malformed reason=%s detail=%s", exc.reason, exc)
            _text(resp, 400, f"Discarded=malformed_{exc.reason}")
            return
        except PayloadTooLarge as exc:
            METRICS.incr("breakpad_resource.too_large")
            logger.info("event=too_large detail=%s", exc)
            resp.set_header("Connection", "close")
            _text(resp, 413, "Discarded=too_large")
            return
        METRICS.incr("breakpad_resource.incoming_crash")

        decision = self.throttler.throttle(payload.annotations)
        METRICS.incr("breakpad_resource.throttle_rule", tags=[f"rule:{decision.rule_name}"])
        METRICS.incr("breakpad_resource.throttle", tags=[f"result:{decision.result.name.lower()}"])

        crash_id = create_crash_id(received, int(decision.result))
        if "uuid" in payload.annotations:
            if not self._authorized_submitter(req):
                METRICS.incr("breakpad_resource.unauthorized_uuid")
                logger.info("event=unauthorized_uuid rule=%s", decision.rule_name)
                _text(resp, 401, "Discarded=unauthorized_uuid")
                return
            try:
                crash_id = validate_crash_id(payload.annotations["uuid"], strict=True)
            except InvalidCrashId:
                METRICS.incr("breakpad_resource.malformed", tags=["reason:invalid_uuid"])
                _text(resp, 400, "Discarded=malformed_invalid_uuid")
                return
        logger.info(
            "crash_id=%s event=throttled rule=%s result=%s",
            crash_id,
            decision.rule_name,
            decision.result.name,
        )

        if decision.result is Result.REJECT:
            _text(resp, 200, f"Discarded=rule_{decision.rule_name}")
            return
        if decision.result is Result.FAKEACCEPT:
            _text(resp, 200, f"CrashID=bp-{crash_id}\n")
            return

        raw_crash, _checksums = build_raw_crash(
            payload,
            crash_id,
            received,
            req.user_agent,
            decision.rule_name,
            self.options.remove_fields,
        )
        try:
            self.crashmover.handle(
                crash_id, raw_crash, payload.dumps, publish=decision.result is Result.ACCEPT
            )
        except SaveFailed:
            resp.set_header("Retry-After", str(self.options.retry_after_seconds))
            _text(resp, 500, "")
            return
        except PublishFailed:
            resp.set_header("Retry-After", str(self.options.retry_after_seconds))
            _text(resp, 503, "")
            return
        _text(resp, 200, f"CrashID=bp-{crash_id}\n")
