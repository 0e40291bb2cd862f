"""Helpers every page family uses: error pages, JSON views and the JSON-or-HTML decision.

Views that answer JSON are marked with :func:`json_view`; their errors (404, 500, 400 from
:func:`error_page`) are JSON too, as under ``/api/``. Everything else gets a page with the
site's chrome saying what went wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from webapp.crashstats.responses import error_response

JSON_ATTRIBUTE = "answers_json"
TITLES = {
    400: "Bad Request",
    403: "Insufficient Privileges",
    404: "Page Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def json_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark ``view`` as answering JSON, so its errors are JSON too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs)

    setattr(wrapper, JSON_ATTRIBUTE, True)
    return wrapper


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith("/api/"):
        return True
    match = getattr(request, "resolver_match", None)
    return bool(match and getattr(match.func, JSON_ATTRIBUTE, False))


def where(request: HttpRequest) -> dict[str, str]:
    return {"path": request.path, "query_string": request.META.get("QUERY_STRING", "")}


def error_page(request: HttpRequest, status: int, message: str, title: str = "") -> HttpResponse:
    """An error answer: JSON ``{"error": message}`` for JSON views, else a page."""
    if wants_json(request):
        return error_response(status, message, **where(request))
    context = {"status": status, "title": title or TITLES.get(status, "Error"), "message": message}
    return render(request, "crashstats/error.html", context, status=status)
