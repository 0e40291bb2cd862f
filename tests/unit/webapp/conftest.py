"""Fixtures of the Crash Stats tests: each test gets its own crash storage, queue and search
(files and SQLite under tmp_path, the embedded default's real backends), users with each
permission, and API tokens."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache, caches
from django.test import Client

from tests.servers import ROOT
from webapp.crashstats import backends
from webapp.crashstats.permissions import APP_LABEL
from webapp.tokens.models import create_token


@pytest.fixture(scope="session", autouse=True)
def built_assets() -> None:
    """Pages load the built front end: `make assets` (seconds when it is up to date)."""
    result = subprocess.run(
        ["make", "-s", "assets"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"`make assets` failed:\n{result.stdout}{result.stderr}", pytrace=False)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Products, status banners and the like are cached per process: not across tests."""
    cache.clear()
    yield
    cache.clear()


@dataclasses.dataclass
class CrashBackends:
    storage: Any
    queue: Any
    search: Any


@pytest.fixture(autouse=True)
def crash_backends(tmp_path, settings) -> Iterator[CrashBackends]:
    settings.JANSKY_CORE = dataclasses.replace(
        settings.JANSKY_CORE,
        storage_url=f"file://{tmp_path / 'crashes'}",
        queue_url=f"sqlite://{tmp_path / 'queue.db'}",
        search_url=f"sqlite://{tmp_path / 'search.db'}",
    )
    yield CrashBackends(backends.storage(), backends.queue(), backends.search())
    backends.reset()


@pytest.fixture(autouse=True)
def no_ratelimits(settings) -> None:
    """Rate limits are off unless a test turns them on; counts start from zero."""
    settings.RATELIMIT_ENABLE = False
    caches[settings.RATELIMIT_USE_CACHE].clear()


def grant(user: User, *codenames: str) -> User:
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label=APP_LABEL, codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)  # fresh: Django caches permissions on the object


def make_user(username: str, *codenames: str, **fields: Any) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "password", **fields)
    return grant(user, *codenames)


@pytest.fixture
def make_client(db):
    def make(user: User | None = None, token: str | None = None) -> Client:
        client = Client(headers={"Auth-Token": token} if token else None)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def anonymous(make_client) -> Client:
    return make_client()


@pytest.fixture
def hacker(db) -> User:
    user = make_user("hacker")
    user.groups.add(Group.objects.get(name="Hackers"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def token_for(db):
    def make(user: User, *codenames: str, **kwargs: Any) -> str:
        return create_token(user, codenames, **kwargs)[1]

    return make
