"""Site-wide views: the home page, the rate-limit answer and the Dockerflow health endpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from webapp.crashstats import backends
from webapp.crashstats.permissions import ANONYMOUS_ACCESS
from webapp.crashstats.responses import error_response, json_response
from webapp.crashstats.supersearch import search

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "crashstats/home.html")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: JSON under /api/, Django's page elsewhere."""
    if _wants_json(request):
        return error_response(404, "Page not found", **_where(request))
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: JSON under /api/, Django's page elsewhere."""
    if _wants_json(request):
        return error_response(500, "Internal Server Error", **_where(request))
    return defaults.server_error(request)


def _where(request: HttpRequest) -> dict[str, str]:
    return {"path": request.path, "query_string": request.META.get("QUERY_STRING", "")}


def ratelimited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """What a rate-limited page (not the API, which answers JSON) returns."""
    response = HttpResponse("Too Many Requests", status=429, content_type="text/plain")
    response["Retry-After"] = "60"
    return response


def lbheartbeat(request: HttpRequest) -> HttpResponse:
    """Always 200: the process is up and serving."""
    return json_response({"ok": True})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_search() -> None:
    backends.search().check_health()
    search({"_results_number": "1", "_facets_size": "0", "_columns": "uuid"}, ANONYMOUS_ACCESS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "storage": lambda: backends.storage().check_health(),
    "queue": lambda: backends.queue().check_health(),
    "search": _check_search,
}


def heartbeat(request: HttpRequest) -> HttpResponse:
    """200 ``{"ok": true}`` when the database and every backend answer; 500 naming failures."""
    errors = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            logger.warning("event=heartbeat_failed check=%s error=%r", name, exc)
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    if errors:
        return json_response({"ok": False, "errors": errors}, status=500)
    return json_response({"ok": True})
