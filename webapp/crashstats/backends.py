"""The crash storage, queue and search backends of this process, opened on first use.

They come from ``JANSKY_CORE`` (``STORAGE_URL``, ``QUEUE_URL``, ``SEARCH_URL``) and
``JANSKY_SEARCH`` in Django's settings; changing either setting (tests do) closes and forgets
the open backends. Nothing is opened at start-up, so a backend that is down cannot stop the
web server from booting.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from jansky.queue import CrashQueue, open_queue
from jansky.search import SearchBackend, open_search
from jansky.storage import CrashStorage, open_storage

_lock = threading.Lock()
_opened: dict[str, Any] = {}


def _get(name: str, opener: Any) -> Any:
    backend = _opened.get(name)
    if backend is None:
        with _lock:
            backend = _opened.get(name)
            if backend is None:
                backend = _opened[name] = opener()
    return backend


def storage() -> CrashStorage:
    return _get("storage", lambda: open_storage(settings.JANSKY_CORE.storage_url))


def queue() -> CrashQueue:
    return _get("queue", lambda: open_queue(settings.JANSKY_CORE.queue_url))


def search() -> SearchBackend:
    return _get(
        "search",
        lambda: open_search(settings.JANSKY_CORE.search_url, settings=settings.JANSKY_SEARCH),
    )


def reset() -> None:
    """Close and forget every open backend; the next use opens them again from the settings."""
    with _lock:
        opened = list(_opened.values())
        _opened.clear()
    for backend in opened:
        close = getattr(backend, "close", None)
        if close is not None:
            close()


def _on_setting_changed(setting: str, **kwargs: Any) -> None:
    if setting in {"JANSKY_CORE", "JANSKY_SEARCH"}:
        reset()


def connect_signals() -> None:
    setting_changed.connect(_on_setting_changed, dispatch_uid="crashstats-backends")
