"""Read a request body from the ASGI channel, bounded in size, time and memory.

A slow client must cost little and hold nothing for long: the body has to keep arriving (no
wait for the next piece longer than ``idle_seconds``), at an average rate that earns its time
(``idle_seconds`` plus one second per ``min_rate`` bytes received), within a hard cap
(``max_seconds``). Memory is reserved in the worker's :class:`~antenna.admission.ByteBudget`
before it is held: a body up to one grant at once, a larger one a grant at a time as it
arrives, so trickling connections hold only what they really sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from antenna.admission import Reservation
from antenna.payload import MIB, PayloadTooLarge

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

# Set in the ASGI scope by the server protocol when the client ended its side of the connection
# (a half-close) before the body was complete.
BODY_CUT_SHORT = "antenna.body_cut_short"


class BodyTimeout(Exception):
    """The client sent its body too slowly: answer 408 and close."""


class BodyIncomplete(Exception):
    """The body ended before it was whole (client gone, half-closed, cut short)."""


@dataclass(frozen=True)
class BodyPolicy:
    """How much, how slowly and how long a client may send."""

    max_bytes: int
    idle_seconds: float = 15.0
    min_rate: int = 4096
    max_seconds: float = 300.0
    admission_seconds: float = 10.0
    grant: int = 1 * MIB

    def deadline(self, started: float, received: int) -> float:
        """When the whole body must be in, given what has arrived so far."""
        earned = self.idle_seconds + received / self.min_rate
        return started + min(earned, self.max_seconds)

    def first_reservation(self, declared: int | None) -> int:
        """Bytes to reserve before reading: the whole body when it is small, else one grant."""
        return self.grant if declared is None else min(declared, self.grant)


async def read_body(
    receive: Receive,
    scope: MutableMapping[str, Any],
    declared: int | None,
    policy: BodyPolicy,
    reservation: Reservation,
    clock: Callable[[], float] = time.monotonic,
) -> bytearray:
    """The whole body, or :class:`PayloadTooLarge`, :class:`BodyTimeout`,
    :class:`BodyIncomplete` or :class:`~antenna.admission.Overloaded`.

    ``declared`` is the Content-Length (None for a chunked body). A declared length over the
    limit is refused before anything is reserved or read.
    """
    if declared is not None and declared > policy.max_bytes:
        raise PayloadTooLarge(f"Content-Length {declared} is over {policy.max_bytes}")
    await reservation.grow(policy.first_reservation(declared), policy.admission_seconds)
    started = clock()
    body = bytearray()
    while True:
        left = policy.deadline(started, len(body)) - clock()
        if left <= 0:
            raise BodyTimeout(f"{len(body)} bytes in {clock() - started:.1f}s: too slow")
        try:
            async with asyncio.timeout(min(policy.idle_seconds, left)):
                event = await receive()
        except TimeoutError:
            if left < policy.idle_seconds:
                raise BodyTimeout(
                    f"{len(body)} bytes in {clock() - started:.1f}s: too slow"
                ) from None
            idle = policy.idle_seconds
            raise BodyTimeout(f"no data for {idle:g}s after {len(body)} bytes") from None
        if event["type"] == "http.disconnect":
            raise BodyIncomplete(f"the client went away after {len(body)} bytes")
        chunk = event.get("body", b"")
        if chunk:
            size = len(body) + len(chunk)
            if size > policy.max_bytes:
                raise PayloadTooLarge(f"body is over {policy.max_bytes} bytes")
            if size > reservation.amount:
                await reservation.grow(_next_step(policy, declared, reservation.amount, size),
                                       policy.admission_seconds)  # fmt: skip
            body += chunk
        if not event.get("more_body", False):
            if scope.get(BODY_CUT_SHORT) or (declared is not None and len(body) < declared):
                raise BodyIncomplete(f"the body ended after {len(body)} of {declared} bytes")
            reservation.adjust(len(body) - reservation.amount)  # hold what is really held
            return body


def _next_step(policy: BodyPolicy, declared: int | None, held: int, needed: int) -> int:
    """Bytes to add to a reservation of ``held`` so that ``needed`` fit: a grant at a time,
    never past the declared length."""
    step = max(needed - held, policy.grant)
    if declared is not None:
        step = min(step, declared - held)
    return max(step, needed - held)
