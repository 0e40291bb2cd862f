"""Admission by bytes: first come, first served, bounded waits, exact accounting."""

from __future__ import annotations

import asyncio

import pytest

from antenna.admission import ByteBudget, Overloaded


def run(coroutine):
    return asyncio.run(coroutine)


def test_grants_while_there_is_room_and_refuses_what_can_never_fit():
    async def scenario():
        budget = ByteBudget(100)
        await budget.acquire(60, timeout=0)
        await budget.acquire(40, timeout=0)
        assert budget.used == 100
        with pytest.raises(Overloaded, match="never fit"):
            await budget.acquire(101, timeout=10)

    run(scenario())


def test_a_waiter_gets_room_when_it_is_released():
    async def scenario():
        budget = ByteBudget(100)
        holder = budget.reservation()
        await holder.grow(80, timeout=0)
        waiter = asyncio.create_task(budget.acquire(50, timeout=5))
        await asyncio.sleep(0.01)
        assert not waiter.done() and budget.waiting == 1
        holder.release()
        await waiter
        assert budget.used == 50 and budget.waiting == 0

    run(scenario())


def test_a_wait_past_its_timeout_is_overloaded_and_leaves_no_trace():
    async def scenario():
        budget = ByteBudget(100)
        await budget.acquire(90, timeout=0)
        with pytest.raises(Overloaded, match="no room"):
            await budget.acquire(20, timeout=0.05)
        assert budget.used == 90 and budget.waiting == 0

    run(scenario())


def test_grants_are_first_come_first_served():
    async def scenario():
        budget = ByteBudget(100)
        await budget.acquire(100, timeout=0)
        order = []

        async def want(name, amount):
            await budget.acquire(amount, timeout=5)
            order.append(name)

        big = asyncio.create_task(want("big", 90))
        await asyncio.sleep(0.01)
        small = asyncio.create_task(want("small", 5))  # would fit sooner; must not overtake
        await asyncio.sleep(0.01)
        budget.adjust(-50)
        await asyncio.sleep(0.01)
        assert order == []
        budget.adjust(-50)
        await asyncio.gather(big, small)
        assert order == ["big", "small"] and budget.used == 95

    run(scenario())


def test_a_waiter_that_gives_up_unblocks_those_behind_it():
    async def scenario():
        budget = ByteBudget(100)
        await budget.acquire(60, timeout=0)
        first = asyncio.create_task(budget.acquire(80, timeout=0.05))  # will time out
        await asyncio.sleep(0.01)
        second = asyncio.create_task(budget.acquire(30, timeout=5))  # fits, but queued behind
        await asyncio.sleep(0.01)
        assert not second.done()
        with pytest.raises(Overloaded):
            await first
        await second
        assert budget.used == 90

    run(scenario())


def test_a_cancelled_waiter_releases_what_it_was_granted():
    async def scenario():
        budget = ByteBudget(100)
        holder = budget.reservation()
        await holder.grow(100, timeout=0)
        waiter = asyncio.create_task(budget.acquire(50, timeout=5))
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        holder.release()
        assert budget.used == 0 and budget.waiting == 0

    run(scenario())


def test_reservations_account_inflation_and_release_once():
    async def scenario():
        budget = ByteBudget(100)
        reservation = budget.reservation()
        await reservation.grow(40, timeout=0)
        reservation.adjust(200)  # an inflated body: already allocated, so never refused
        assert (budget.used, reservation.amount) == (240, 240)
        blocked = asyncio.create_task(budget.acquire(10, timeout=5))
        await asyncio.sleep(0.01)
        assert not blocked.done()
        reservation.release()
        reservation.release()
        reservation.adjust(500)  # a late report from a thread after the request ended
        await blocked
        assert budget.used == 10

    run(scenario())
