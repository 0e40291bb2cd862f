"""API rate limits (429 with Retry-After) and the shared counter cache behind them."""

from __future__ import annotations

import dataclasses
import multiprocessing
import time

import pytest

from tests.unit.webapp.conftest import make_user
from webapp.crashstats.counters import SqliteCounterCache


@pytest.fixture
def limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.JANSKY_WEBAPP = dataclasses.replace(
        settings.JANSKY_WEBAPP, ratelimit_anonymous="3/m", ratelimit_authenticated="5/m"
    )


def statuses(client, count: int) -> list[int]:
    return [client.get("/api/NoOp/", {"product": "x"}).status_code for _ in range(count)]


def test_anonymous_callers_are_limited_per_address(limits, anonymous):
    assert statuses(anonymous, 4) == [200, 200, 200, 429]
    response = anonymous.get("/api/SuperSearchFields/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["error"].startswith(
        "Too Many Requests: at most 3/m API requests per address without login or API token"
    )


def test_users_and_tokens_have_their_own_higher_limit(limits, anonymous, make_client, token_for):
    assert statuses(anonymous, 4)[-1] == 429
    alice = make_user("alice")
    session = make_client(alice)
    assert statuses(session, 3) == [200] * 3
    token = make_client(token=token_for(alice))
    assert statuses(token, 3) == [200, 200, 429]  # same user: 5 per minute in all
    assert statuses(make_client(make_user("bob")), 5) == [200] * 5


def test_login_attempts_are_limited(limits, anonymous, db):
    answers = [
        anonymous.post("/login/", {"username": "x", "password": "y"}).status_code for _ in range(11)
    ]
    assert answers[:10] == [200] * 10 and answers[10] == 429


def _add_many(path: str, count: int) -> None:
    cache = SqliteCounterCache(path, {})
    for _ in range(count):
        if not cache.add("hits", 1, 60):
            cache.incr("hits")


def test_counter_cache_is_atomic_across_processes(tmp_path):
    path = str(tmp_path / "counters.db")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_add_many, args=(path, 200)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert SqliteCounterCache(path, {}).get("hits") == 800


def test_counter_cache_expiry_and_api(tmp_path):
    cache = SqliteCounterCache(str(tmp_path / "c.db"), {})
    assert cache.add("k", 1, 0.2) is True
    assert cache.add("k", 5, 60) is False
    assert cache.incr("k", 2) == 3
    time.sleep(0.25)
    assert cache.get("k") is None
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.add("k", 5, 60) is True  # an expired key can be added again
    cache.set("n", 9)
    assert cache.has_key("n") and cache.touch("n", 10) and cache.delete("n")
    with pytest.raises(TypeError):
        cache.set("s", "text")
