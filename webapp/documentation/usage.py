"""How fields are used in recent crashes, for the data dictionary's field pages.

Anonymous Super Search facets over the last week: the most common values of a public field,
and the products that sent an annotation (``crash_report_keys`` lists every annotation a
report had). Cached for a minute; an unavailable search backend gives empty lists.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache

from jansky.search import BadArgumentError, SearchError
from webapp.crashstats.permissions import ANONYMOUS_ACCESS
from webapp.crashstats.supersearch import search

logger = logging.getLogger(__name__)

WINDOW_DAYS = 7
TOP = 5
CACHE_SECONDS = 60


def _top(facet: str, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
    digest = hashlib.sha256(repr((facet, sorted(filters.items()))).encode()).hexdigest()
    key = f"documentation:top:{digest}"
    found = cache.get(key)
    if found is not None:
        return found
    now = datetime.now(UTC)
    params = {
        **filters,
        "date": [f">={(now - timedelta(days=WINDOW_DAYS)).isoformat()}", f"<={now.isoformat()}"],
        "_results_number": ["0"],
        "_facets": [facet],
        "_facets_size": [str(TOP)],
    }
    try:
        response = search(params, ANONYMOUS_ACCESS)
    except (SearchError, BadArgumentError) as exc:
        logger.warning("event=datadictionary_usage_failed facet=%s error=%r", facet, exc)
        return []
    found = [
        {"term": bucket["term"], "count": bucket["count"]}
        for bucket in response["facets"].get(facet, [])
    ]
    cache.set(key, found, CACHE_SECONDS)
    return found


def top_values(field_name: str) -> list[dict[str, Any]]:
    return _top(field_name, {})


def top_products(annotation: str) -> list[dict[str, Any]]:
    return _top("product", {"crash_report_keys": [annotation]})
