"""The search side of the processor: a small protocol, and the configured backend behind it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from jansky.search import open_search


class Indexer(Protocol):
    """Makes a processed crash searchable; raises when the search backend is down."""

    def index_crash(self, crash_id: str, processed_crash: Mapping[str, Any]) -> None: ...


def open_indexer(url: str) -> Indexer:
    """The search backend for ``url``."""
    return open_search(url)
