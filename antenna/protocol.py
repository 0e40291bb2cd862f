"""The collector's HTTP/1.1 connection protocol: uvicorn's, plus what it lacks against slow
and hostile clients.

uvicorn times out idle keep-alive connections but not a request that is being sent: a client
trickling header bytes holds its connection for ever. This protocol gives every request head
(request line and headers) a deadline, counted from the connection's start or the end of the
previous response, and a size bound; a client past either gets 408 or 431 and is closed. A
client that half-closes while its body is incomplete is told so through the ASGI scope
(:data:`antenna.body.BODY_CUT_SHORT`) and can still read the answer. Bodies are bounded by the
application (:mod:`antenna.body`), which knows the route and the limits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from antenna.body import BODY_CUT_SHORT
from antenna.metrics import METRICS

logger = logging.getLogger(__name__)

HEAD_TIMEOUT_BODY = b"request headers were not received in time"
HEAD_TOO_LARGE_BODY = b"request headers are too large"
REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


def refusal(status: int, message: bytes) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection."""
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, REASONS[status]),
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(message),
            b"connection: close\r\n\r\n",
            message,
        ]
    )


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size bound on request heads.

    Subclasses set ``head_timeout_seconds`` and ``max_head_bytes`` (see :func:`guarded_protocol`).
    """

    head_timeout_seconds: float = 10.0
    max_head_bytes: int = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._head_started = False  # a request's first byte came, its headers are not done
        self._refused = False
        self._unanswered_error: str | None = None  # a 400 to send once the answer is out

    # Connection life

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def eof_received(self) -> bool | None:
        """A half-close: mid-body, end the body as cut short and keep the way back open."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and cycle.more_body:
            cycle.scope[BODY_CUT_SHORT] = True  # type: ignore[typeddict-unknown-key]
            cycle.more_body = False
            cycle.message_event.set()
            return True
        return None

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    # Parser callbacks

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        self._head_started = True
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        if self._count_head(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._count_head(len(name) + len(value) + 4):
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if not self._refused:
            self._head_started = False
            self._disarm_head_timer()
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._unanswered_error is not None:
            super().send_400_response(self._unanswered_error)
            return
        # The next request's head is due now, unless a pipelined one already started.
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.transport.is_closing():
            self._arm_head_timer()

    def send_400_response(self, msg: str) -> None:
        """Bytes that are not HTTP came after a request: answer that request first.

        A Content-Length shorter than the body leaves the rest of the body to be read as the
        next request; its 400 must not overtake the answer to the request it followed.
        """
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not self.transport.is_closing():
            self._refused = True  # read nothing more
            self._unanswered_error = msg
            return
        super().send_400_response(msg)

    # Guards

    def _count_head(self, size: int) -> bool:
        """Add ``size`` head bytes; False (and the connection refused) once over the bound."""
        if self._refused:
            return False
        self._head_bytes += size
        if self._head_bytes > self.max_head_bytes:
            self._refuse(431, HEAD_TOO_LARGE_BODY)
            return False
        return True

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_seconds, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            # A connection that never started a request just goes: there is nobody to tell.
            self._refuse(408, HEAD_TIMEOUT_BODY, answer=self._head_started)

    def _refuse(self, status: int, message: bytes, answer: bool = True) -> None:
        self._refused = True
        self._disarm_head_timer()
        METRICS.incr("protocol.request_head_refused", tags=[f"status:{status}"])
        logger.info("event=request_head_refused status=%d answered=%s", status, answer)
        if answer:
            self.transport.write(refusal(status, message))
        self.transport.close()


def guarded_protocol(head_timeout_seconds: float, max_head_bytes: int) -> type[GuardedHttpProtocol]:
    """A :class:`GuardedHttpProtocol` class with these bounds (uvicorn takes a class)."""
    return type(
        "CollectorHttpProtocol",
        (GuardedHttpProtocol,),
        {"head_timeout_seconds": head_timeout_seconds, "max_head_bytes": max_head_bytes},
    )
