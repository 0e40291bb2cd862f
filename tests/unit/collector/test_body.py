"""Reading a request body: limits, deadlines, cut-short bodies and byte reservations."""

from __future__ import annotations

import asyncio

import pytest

from antenna.admission import ByteBudget, Overloaded
from antenna.body import BODY_CUT_SHORT, BodyIncomplete, BodyPolicy, BodyTimeout, read_body
from antenna.payload import PayloadTooLarge


class Channel:
    """An ASGI receive channel fed by the test: (delay seconds, event) pairs."""

    def __init__(self, *events: tuple[float, dict]) -> None:
        self.events = list(events)

    async def __call__(self) -> dict:
        if not self.events:
            await asyncio.sleep(3600)
        delay, event = self.events.pop(0)
        await asyncio.sleep(delay)
        return event


def chunk(data: bytes, more: bool = True, delay: float = 0.0) -> tuple[float, dict]:
    return delay, {"type": "http.request", "body": data, "more_body": more}


POLICY = BodyPolicy(max_bytes=1000, idle_seconds=0.2, min_rate=100, max_seconds=5, grant=64)


def read(channel, declared, policy=POLICY, budget=None, scope=None):
    async def go():
        reservation = (budget or ByteBudget(10_000)).reservation()
        body = await read_body(channel, scope or {}, declared, policy, reservation)
        return body, reservation

    return asyncio.run(go())


def test_a_whole_body_in_pieces_holds_exactly_its_bytes():
    budget = ByteBudget(10_000)
    body, reservation = read(
        Channel(chunk(b"a" * 50), chunk(b"b" * 100), chunk(b"c", more=False)), 151, budget=budget
    )
    assert body == b"a" * 50 + b"b" * 100 + b"c"
    assert reservation.amount == budget.used == 151


def test_a_declared_length_over_the_limit_is_refused_before_anything_is_read():
    channel = Channel(chunk(b"x", more=False))
    with pytest.raises(PayloadTooLarge):
        read(channel, 10**12)
    assert channel.events  # nothing was received


def test_a_chunked_body_over_the_limit():
    with pytest.raises(PayloadTooLarge):
        read(Channel(chunk(b"x" * 600), chunk(b"x" * 600)), None)


def test_a_silent_client_times_out():
    with pytest.raises(BodyTimeout, match="no data"):
        read(Channel(chunk(b"x" * 10), chunk(b"x", delay=1.0)), 100)


def test_a_trickle_below_the_minimum_rate_times_out():
    policy = BodyPolicy(max_bytes=1000, idle_seconds=0.3, min_rate=10, max_seconds=5)
    trickle = [chunk(b"x", delay=0.15) for _ in range(20)]  # 6.7 bytes/s, under 10
    with pytest.raises(BodyTimeout, match="too slow"):
        read(Channel(*trickle), 1000, policy=policy)


def test_a_fast_body_is_still_capped():
    policy = BodyPolicy(max_bytes=10**6, idle_seconds=0.2, min_rate=1, max_seconds=0.3)
    steady = [chunk(b"x" * 100, delay=0.05) for _ in range(20)]
    with pytest.raises(BodyTimeout):
        read(Channel(*steady), 2000, policy=policy)


def test_a_client_that_goes_away_is_incomplete():
    with pytest.raises(BodyIncomplete, match="went away"):
        read(Channel(chunk(b"x" * 10), (0, {"type": "http.disconnect"})), 100)


def test_a_half_closed_body_is_cut_short():
    """The server ends the body early on a half-close; the reader must not call it whole."""
    with pytest.raises(BodyIncomplete, match="ended after 10"):
        read(Channel(chunk(b"x" * 10, more=False)), None, scope={BODY_CUT_SHORT: True})
    with pytest.raises(BodyIncomplete):
        read(Channel(chunk(b"x" * 10, more=False)), 100)


def test_large_bodies_reserve_a_grant_at_a_time_as_they_arrive():
    async def go():
        budget = ByteBudget(10_000)
        reservation = budget.reservation()
        seen = []

        async def watch():
            while True:
                seen.append(budget.used)
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        channel = Channel(*[chunk(b"x" * 100, delay=0.02) for _ in range(5)], chunk(b"", False))
        await read_body(channel, {}, 500, POLICY, reservation)
        watcher.cancel()
        return seen, reservation

    seen, reservation = asyncio.run(go())
    assert seen[0] == 64  # one grant before the first byte, not the declared 500
    assert max(seen) <= 500 and reservation.amount == 500


def test_no_room_for_the_rest_of_a_body_is_overloaded():
    budget = ByteBudget(200)

    async def go():
        other = budget.reservation()
        await other.grow(150, timeout=0)
        channel = Channel(chunk(b"x" * 40), chunk(b"x" * 40), chunk(b"", more=False))
        policy = BodyPolicy(max_bytes=200, admission_seconds=0.05, grant=50)
        await read_body(channel, {}, 80, policy, budget.reservation())

    with pytest.raises(Overloaded):
        asyncio.run(go())
