"""The bridge from Crash Stats to ``jansky.search``: every Super Search a request makes.

Pages and the API call :func:`search` with the request's access; parameters that name fields
the caller may not use are dropped before the query (no error, as in Socorro) and the answer
goes through :func:`webapp.crashstats.redaction.search_response`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jansky.search import get_registry
from webapp.crashstats import backends, redaction
from webapp.crashstats.permissions import Access

# Multi-level aggregations Socorro's webapp accepts besides ``_aggs.<field>``.
MULTI_LEVEL_AGGS = (
    "_aggs.product.version",
    "_aggs.android_cpu_abi.android_manufacturer.android_model",
)


def search(
    params: Mapping[str, list[str] | str], access: Access, now: datetime | None = None
) -> dict[str, Any]:
    """The Super Search response for ``params`` as ``access`` may see it.

    Raises ``jansky.search.BadArgumentError`` for invalid parameters and ``SearchError`` when
    the backend fails.
    """
    response = backends.search().search(params, access.schema_permissions, now=now)
    return redaction.search_response(response, access)


def fields() -> dict[str, dict[str, Any]]:
    """Every Super Search field as ``SuperSearchFields`` describes it."""
    return get_registry().super_search_fields()
