"""Custom queries (the ``run_custom_queries`` permission): the search backend's own query language.

``/search/custom/`` shows the query a Super Search URL turns into (OpenSearch or Elasticsearch
JSON, or SQLite's statement), editable, with the indices to run it on; ``/search/query/`` runs
what is posted and answers the backend's raw response as JSON. Answers are not redacted: the
permission is for those trusted with every field.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from jansky.search import BadArgumentError, SearchError
from webapp.crashstats import backends
from webapp.crashstats.pages import error_page, json_view
from webapp.crashstats.permissions import RUN_CUSTOM_QUERIES, access_for
from webapp.crashstats.responses import json_response
from webapp.crashstats.views import ratelimited
from webapp.supersearch import query
from webapp.supersearch.limits import over_limit

logger = logging.getLogger(__name__)
FORBIDDEN = "Custom queries need the Run Custom Queries permission."
MAX_QUERY_BYTES = 1 << 20


def _forbidden(request: HttpRequest) -> HttpResponse | None:
    if access_for(request).has(RUN_CUSTOM_QUERIES):
        return None
    return error_page(request, 403, FORBIDDEN, "Forbidden")


@require_GET
def custom(request: HttpRequest) -> HttpResponse:
    """The editor, filled with the query of the Super Search in the page URL."""
    if (refused := _forbidden(request)) is not None:
        return refused
    params = query.api_params(dict(request.GET.lists()))
    backend = backends.search()
    error = ""
    try:
        targets = backend.query_targets()
        try:
            explained = backend.search(
                {**params, "_return_query": ["true"]}, access_for(request).schema_permissions
            )
        except BadArgumentError as exc:
            error, explained = str(exc), {"query": {}, "indices": []}
    except SearchError as exc:
        logger.warning("custom query page: the search backend failed: %s", exc)
        return error_page(request, 503, "The search backend did not answer; try again.")
    context = {
        "query_text": json.dumps(explained["query"], indent=2),
        "targets": targets,
        "selected": [name for name in explained["indices"] if name in targets],
        "error": error,
        "search_url": query.search_url(params),
    }
    return render(request, "supersearch/custom.html", context, status=400 if error else 200)


def _posted_query(request: HttpRequest) -> dict[str, Any]:
    text = request.POST.get("query", "")
    if not text.strip():
        raise BadArgumentError("the query is empty")
    if len(text.encode()) > MAX_QUERY_BYTES:
        raise BadArgumentError(f"the query is larger than {MAX_QUERY_BYTES} bytes")
    try:
        posted = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadArgumentError(f"the query is not JSON: {exc}") from None
    if not isinstance(posted, dict):
        raise BadArgumentError("the query must be a JSON object")
    return posted


@json_view
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    """Run the posted ``query`` (JSON text) on the posted ``indices``; the raw answer."""
    if (refused := _forbidden(request)) is not None:
        return refused
    if over_limit(request):
        return ratelimited(request)
    try:
        posted = _posted_query(request)
        answer = backends.search().custom_query(posted, request.POST.getlist("indices"))
    except BadArgumentError as exc:
        return error_page(request, 400, str(exc))
    except SearchError as exc:
        logger.warning("custom query failed: %s", exc)
        return error_page(request, 503, f"The search backend did not answer: {exc}")
    logger.info("custom query by %s", access_for(request).user)
    return json_response(answer)
