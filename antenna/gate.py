"""The body phase of ``POST /submit``: header checks, admission and reading, before Falcon.

Falcon's ASGI app waits for the first body event before it routes a request, which would let a
silent client hold a request with no deadline and no memory bound. So the collector reads
report bodies here, in plain ASGI, for every path Falcon's own router sends to the submit
resource (``//submit`` too), and answers what it can before a byte of body is read: malformed
headers (400), a declared length over the limit (413), no room within the admission wait
(503). A body that is too slow gets 408; one cut short, 400. Only a whole body reaches the
resource, through the scope, with the bytes it holds reserved until the answer is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from antenna.admission import ByteBudget, Overloaded
from antenna.body import BODY_CUT_SHORT, BodyIncomplete, BodyPolicy, BodyTimeout, read_body
from antenna.metrics import METRICS
from antenna.payload import MalformedPayload, PayloadTooLarge, check_request_headers

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]

# Scope keys through which the gate hands a read body to the submit resource.
BODY = "antenna.body"
RESERVATION = "antenna.reservation"
CLOSE = (b"connection", b"close")


def request_headers(scope: Scope) -> dict[bytes, bytes]:
    """Lower-cased header names to values (the last one of a repeated name).

    ASGI allows any iterable of headers; it is made a list so the app can read it again.
    """
    scope["headers"] = [(name, value) for name, value in scope["headers"]]
    return {name.lower(): value for name, value in scope["headers"]}


def declared_length(headers: dict[bytes, bytes]) -> int | None:
    """The Content-Length, or None for a chunked body (the HTTP parser checked the framing)."""
    value = headers.get(b"content-length")
    return int(value) if value is not None else None


async def answer(
    send: Send, status: int, text: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """A ``text/plain`` answer, the way the submit resource answers."""
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


class SubmitGate:
    """ASGI middleware reading ``/submit`` bodies under :class:`BodyPolicy` and a byte budget.

    ``is_submit(path)`` says whether the wrapped app would route ``path`` to the submit resource.
    """

    def __init__(
        self,
        app: Asgi,
        is_submit: Callable[[str], bool],
        policy: BodyPolicy,
        budget: ByteBudget,
        retry_after_seconds: int,
    ) -> None:
        self.app = app
        self.is_submit = is_submit
        self.policy = policy
        self.budget = budget
        self.retry_after = (b"retry-after", str(retry_after_seconds).encode("ascii"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not self.is_submit(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        reservation = self.budget.reservation()
        try:
            body = await self._read(scope, receive, send, reservation)
            if body is not None:
                scope[BODY] = body
                scope[RESERVATION] = reservation
                await self.app(scope, _body_already_read(receive), send)
        finally:
            reservation.release()
            METRICS.gauge("breakpad_resource.bytes_in_flight", self.budget.used)

    async def _read(self, scope: Scope, receive: Receive, send: Send, reservation: Any) -> Any:
        """The whole body, or None once the request has been answered (or the client is gone)."""
        headers = request_headers(scope)
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        # A client that waits for "100 Continue" sends no body after an early answer, so the
        # connection cannot carry another request: close it. Others keep it; the server reads
        # and drops the rest of the body (bounded by the header timeout of the next request).
        early = (CLOSE,) if headers.get(b"expect", b"").lower() == b"100-continue" else ()
        try:
            declared = declared_length(headers)
            check_request_headers(content_type, declared)
            return await read_body(receive, scope, declared, self.policy, reservation)
        except MalformedPayload as exc:
            await self._refuse(
                send, 400, f"Discarded=malformed_{exc.reason}", "malformed", exc, early
            )
        except PayloadTooLarge as exc:
            await self._refuse(send, 413, "Discarded=too_large", "too_large", exc, early)
        except Overloaded as exc:
            await self._refuse(send, 503, "", "overloaded", exc, (self.retry_after, *early))
        except BodyTimeout as exc:
            await self._refuse(send, 408, "Discarded=timeout", "body_timeout", exc, (CLOSE,))
        except BodyIncomplete as exc:
            METRICS.incr("breakpad_resource.body_incomplete")
            logger.info("event=body_incomplete detail=%s", exc)
            if scope.get(BODY_CUT_SHORT):  # half-closed: the client can still read an answer
                await answer(send, 400, "Discarded=malformed_invalid_payload_structure", (CLOSE,))
        return None

    async def _refuse(
        self,
        send: Send,
        status: int,
        text: str,
        metric: str,
        exc: Exception,
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        tags = [f"reason:{exc.reason}"] if isinstance(exc, MalformedPayload) else []
        METRICS.incr(f"breakpad_resource.{metric}", tags=tags)
        logger.info("event=%s status=%d detail=%s", metric, status, exc)
        await answer(send, status, text, headers)


def _body_already_read(receive: Receive) -> Receive:
    """A receive channel whose first event is an empty, final body (the gate holds the body);
    later calls go to the real channel, which reports a disconnect."""
    first = True

    async def receive_after_body() -> Message:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return receive_after_body
