"""Admission by bytes in flight: a worker holds at most a set number of body bytes at once.

A request count says nothing about memory (one 25 MiB report weighs as much as a hundred
ordinary ones) and refuses work while a core is idle. Counting bytes bounds what matters: a
request reserves what it will hold before holding it, waits (first come, first served) for room
up to a bounded time, and only then is refused with 503 and ``Retry-After``. Everything here runs
on the worker's event loop; other threads report changes with ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field


class Overloaded(Exception):
    """No room for the request's bytes within the admission wait: answer 503."""


@dataclass
class Reservation:
    """Bytes one request holds in a :class:`ByteBudget`; released once, when it is done."""

    budget: ByteBudget
    amount: int = 0
    released: bool = field(default=False, repr=False)

    async def grow(self, amount: int, timeout: float) -> None:
        """Hold ``amount`` more bytes, waiting up to ``timeout`` seconds for room."""
        await self.budget.acquire(amount, timeout)
        self.amount += amount

    def adjust(self, delta: int) -> None:
        """Account for bytes already allocated (an inflated body): never waits, may overdraw."""
        if self.released:
            return  # the request is over: its bytes are gone already
        self.budget.adjust(delta)
        self.amount += delta

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.budget.adjust(-self.amount)
            self.amount = 0


class ByteBudget:
    """``capacity`` bytes shared by the requests of one worker, granted in arrival order."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.used = 0
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    @property
    def waiting(self) -> int:
        """Requests waiting for room now."""
        return len(self._waiters)

    def reservation(self) -> Reservation:
        return Reservation(self)

    async def acquire(self, amount: int, timeout: float) -> None:
        """Take ``amount`` bytes, or raise :class:`Overloaded` after ``timeout`` seconds.

        Grants are first come, first served: a request never overtakes an earlier one, so a
        large body is not starved by a stream of small ones.
        """
        if amount > self.capacity:
            raise Overloaded(f"{amount} bytes can never fit in {self.capacity}")
        if not self._waiters and self.used + amount <= self.capacity:
            self.used += amount
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((amount, future))
        try:
            async with asyncio.timeout(timeout):
                await future
        except TimeoutError:
            if future.done() and not future.cancelled():
                return  # granted just as the wait ran out: keep it
            raise Overloaded(f"no room for {amount} bytes within {timeout}s") from None
        except BaseException:
            if future.done() and not future.cancelled():
                self.adjust(-amount)  # granted, but the request is gone
            raise
        finally:
            if not future.done():
                future.cancel()
            self._grant()  # drops this waiter if it is still queued; others may fit now

    def adjust(self, delta: int) -> None:
        """Change the bytes in use without waiting (releases are negative)."""
        self.used += delta
        if delta < 0:
            self._grant()

    def _grant(self) -> None:
        while self._waiters:
            amount, future = self._waiters[0]
            if future.done():  # given up
                self._waiters.popleft()
            elif self.used + amount <= self.capacity:
                self._waiters.popleft()
                self.used += amount
                future.set_result(None)
            else:
                return
