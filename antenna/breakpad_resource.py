"""``POST /submit``: the crash reporter protocol of Breakpad, Crashpad and Firefox.

Parse (bounded) -> throttle -> crash id -> store and queue -> answer. Every answer body is
byte-exact with Socorro's collector, so existing clients and tools understand it. The body was
read by :mod:`antenna.gate`; the work itself (CPU-bound parsing, blocking storage and queue
calls) runs on the worker's thread pool so the event loop keeps serving other connections.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import falcon

from antenna.crashmover import CrashMover, PublishFailed, SaveFailed
from antenna.gate import BODY, RESERVATION
from antenna.metrics import METRICS
from antenna.payload import (
    Deadline,
    Limits,
    MalformedPayload,
    ParseTimeout,
    Payload,
    PayloadTooLarge,
    check_request_headers,
    parse_body,
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


@dataclass
class SubmitRequest:
    """What the resource needs of one request, taken off the event loop's objects."""

    body: bytearray
    content_type: str | None
    content_encoding: str | None
    user_agent: str | None
    authorization: str | None
    received: datetime.datetime


@dataclass(frozen=True)
class Answer:
    """Status, ``text/plain`` body and extra headers of one answer."""

    status: int
    text: str
    headers: tuple[tuple[str, str], ...] = ()


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
    """Accepts crash reports; one instance per worker, shared by its requests."""

    def __init__(
        self,
        options: SubmitOptions,
        throttler: Throttler,
        crashmover: CrashMover,
        threads: int = 6,
    ) -> None:
        self.options = options
        self.throttler = throttler
        self.crashmover = crashmover
        self.pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="submit")
        # One body inflated at a time per worker: gzip bombs cannot multiply the worker's memory.
        self.inflate_slot = threading.Lock()

    async def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.status = falcon.HTTP_200
        resp.set_header("Allow", "POST")

    async def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        started = time.perf_counter()
        request = SubmitRequest(
            body=req.scope[BODY],
            content_type=req.content_type,
            content_encoding=req.get_header("Content-Encoding"),
            user_agent=req.user_agent,
            authorization=req.get_header("Authorization"),
            received=datetime.datetime.now(datetime.UTC),
        )
        del req.scope[BODY]  # the request owns it now: freed as soon as it is parsed
        loop = asyncio.get_running_loop()
        reservation = req.scope[RESERVATION]

        def account(delta: int) -> None:
            loop.call_soon_threadsafe(reservation.adjust, delta)

        try:
            answer = await loop.run_in_executor(self.pool, self.handle, request, account)
        finally:
            METRICS.timing("breakpad_resource.on_post.time", (time.perf_counter() - started) * 1000)
        resp.status = answer.status
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = answer.text
        for name, value in answer.headers:
            resp.set_header(name, value)

    def handle(self, request: SubmitRequest, account: Callable[[int], None]) -> Answer:
        """Parse, throttle, store and queue one report (blocking; runs on the pool).

        ``account(delta)`` is told how the bytes this request holds change (an inflated body).
        """
        try:
            payload = self._parse(request, account)
        except MalformedPayload as exc:
            METRICS.incr("breakpad_resource.malformed", tags=[f"reason:{exc.reason}"])
            logger.info("event=malformed reason=%s detail=%s", exc.reason, exc)
            return Answer(400, f"Discarded=malformed_{exc.reason}")
        except PayloadTooLarge as exc:
            METRICS.incr("breakpad_resource.too_large")
            logger.info("event=too_large detail=%s", exc)
            return Answer(413, "Discarded=too_large")
        except ParseTimeout as exc:
            METRICS.incr("breakpad_resource.parse_timeout")
            logger.warning("event=parse_timeout detail=%s", exc)
            return Answer(503, "Discarded=parse_timeout", self._retry_after())
        METRICS.incr("breakpad_resource.incoming_crash")
        return self._accept(request, payload)

    def _retry_after(self) -> tuple[tuple[str, str], ...]:
        return (("Retry-After", str(self.options.retry_after_seconds)),)

    def _parse(self, request: SubmitRequest, account: Callable[[int], None]) -> Payload:
        limits = self.options.limits
        boundary = check_request_headers(request.content_type, len(request.body))
        deadline = Deadline(limits.parse_seconds)
        sent = len(request.body)

        def on_decompress(seconds: float, ok: bool) -> None:
            METRICS.incr("breakpad_resource.gzipped_crash")
            METRICS.histogram(
                "breakpad_resource.gzipped_crash_decompress",
                seconds * 1000,
                tags=[f"result:{'success' if ok else 'fail'}"],
            )

        try:
            payload = parse_body(
                request.body,
                boundary,
                request.content_encoding,
                limits,
                on_decompress,
                self.inflate_slot,
                deadline,
            )
        finally:
            request.body = bytearray()
        if payload.compressed:
            account(payload.size - sent)
        METRICS.histogram(
            "breakpad_resource.crash_size",
            payload.size,
            tags=[f"payload:{'compressed' if payload.compressed else 'uncompressed'}"],
        )
        return payload

    def _authorized_submitter(self, authorization: str | None) -> bool:
        token = self.options.submitter_bearer_token
        if not token:
            return False
        scheme, _, offered = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            offered.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
        )

    def _accept(self, request: SubmitRequest, payload: Payload) -> Answer:
        decision = self.throttler.throttle(payload.annotations)
        METRICS.incr("breakpad_resource.throttle_rule", tags=[f"rule:{decision.rule_name}"])
        METRICS.incr("breakpad_resource.throttle", tags=[f"result:{decision.result.name.lower()}"])

        crash_id = create_crash_id(request.received, int(decision.result))
        if "uuid" in payload.annotations:
            if not self._authorized_submitter(request.authorization):
                METRICS.incr("breakpad_resource.unauthorized_uuid")
                logger.info("event=unauthorized_uuid rule=%s", decision.rule_name)
                return Answer(401, "Discarded=unauthorized_uuid")
            try:
                crash_id = validate_crash_id(payload.annotations["uuid"], strict=True)
            except InvalidCrashId:
                METRICS.incr("breakpad_resource.malformed", tags=["reason:invalid_uuid"])
                return Answer(400, "Discarded=malformed_invalid_uuid")
        logger.info(
            "crash_id=%s event=throttled rule=%s result=%s",
            crash_id,
            decision.rule_name,
            decision.result.name,
        )

        if decision.result is Result.REJECT:
            return Answer(200, f"Discarded=rule_{decision.rule_name}")
        if decision.result is Result.FAKEACCEPT:
            return Answer(200, f"CrashID=bp-{crash_id}\n")

        raw_crash, _checksums = build_raw_crash(
            payload,
            crash_id,
            request.received,
            request.user_agent,
            decision.rule_name,
            self.options.remove_fields,
        )
        try:
            self.crashmover.handle(
                crash_id, raw_crash, payload.dumps, publish=decision.result is Result.ACCEPT
            )
        except SaveFailed:
            return Answer(500, "", self._retry_after())
        except PublishFailed:
            return Answer(503, "", self._retry_after())
        return Answer(200, f"CrashID=bp-{crash_id}\n")
