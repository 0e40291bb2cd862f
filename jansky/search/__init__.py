"""Super Search: crash search with Socorro's query language over SQLite or a search cluster.

``open_search(url)`` returns a :class:`SearchBackend` for ``SEARCH_URL``:
``sqlite:///path/search.db`` (the embedded default), ``opensearch+http://host:9200`` or
``elasticsearch+http://host:9200``. Typical use::

    search = open_search()
    search.index_crash(crash_id, processed_crash)
    search.search({"product": "Firefox", "_facets": "signature"}, user_permissions(False))

docs/supersearch.md describes the language and the response.
"""

from __future__ import annotations

from collections.abc import Mapping

from jansky.config import load_core_settings
from jansky.search.backend import BulkResult, ExpiredCrashes, SearchBackend
from jansky.search.errors import BadArgumentError, InvalidSearchUrl, SearchError
from jansky.search.fields import Field, FieldRegistry, get_registry
from jansky.search.settings import SearchConfig, SearchSettings, load_search_settings

CLUSTER_SCHEMES = {
    "opensearch+http": ("opensearch", "http"),
    "opensearch+https": ("opensearch", "https"),
    "elasticsearch+http": ("elasticsearch", "http"),
    "elasticsearch+https": ("elasticsearch", "https"),
}


def open_search(
    url: str | None = None,
    env: Mapping[str, str] | None = None,
    settings: SearchSettings | None = None,
) -> SearchBackend:
    """The search backend for ``url`` (``SEARCH_URL`` from the environment when None)."""
    if url is None:
        url = load_core_settings(env).search_url
    settings = settings or load_search_settings(env)
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise InvalidSearchUrl(f"SEARCH_URL {url!r} has no scheme; {_EXPECTED}")
    if scheme == "sqlite":
        if not rest:
            raise InvalidSearchUrl(f"SEARCH_URL {url!r} names no file; {_EXPECTED}")
        from jansky.search.sqlite.backend import SqliteSearch

        return SqliteSearch(rest, timeout=settings.timeout)
    if scheme in CLUSTER_SCHEMES:
        from jansky.search.cluster.backend import ClusterSearch

        flavor, http = CLUSTER_SCHEMES[scheme]
        return ClusterSearch(flavor, f"{http}://{rest}", settings)
    raise InvalidSearchUrl(f"SEARCH_URL {url!r} uses an unknown scheme {scheme!r}; {_EXPECTED}")


_EXPECTED = (
    "use sqlite:///path/search.db, opensearch+http://host:port or elasticsearch+http://host:port"
)

__all__ = [
    "BadArgumentError",
    "BulkResult",
    "ExpiredCrashes",
    "Field",
    "FieldRegistry",
    "InvalidSearchUrl",
    "SearchBackend",
    "SearchConfig",
    "SearchError",
    "SearchSettings",
    "get_registry",
    "load_search_settings",
    "open_search",
]
