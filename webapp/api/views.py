"""The API's views: one dispatcher for every ``/api/<Name>/`` and the generated reference.

The dispatcher reads top to bottom: find the endpoint -> method -> rate limit -> permission
-> parameters -> handle -> answer; every failure has its status and JSON ``error``.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from jansky.queue import QueueError
from jansky.search import BadArgumentError, SearchError
from jansky.storage import StorageError
from webapp.api import ratelimits, reference
from webapp.api.declarations import Call
from webapp.api.endpoints import ENDPOINTS
from webapp.api.errors import ApiError, ParameterErrors, PermissionRequired, bad_request
from webapp.api.validation import validate
from webapp.crashstats.permissions import access_for
from webapp.crashstats.responses import error_response, json_response
from webapp.crashstats.views import server_error

logger = logging.getLogger(__name__)

UNAVAILABLE = {
    SearchError: "the search backend",
    StorageError: "the crash storage",
    QueueError: "the crash queue",
}


@csrf_exempt
def endpoint(request: HttpRequest, name: str) -> HttpResponse:
    declared = ENDPOINTS.get(name)
    if declared is None:
        return error_response(404, f"No service called '{name}'")
    allowed = (*declared.methods, "OPTIONS")
    if request.method == "OPTIONS":
        response = HttpResponse(status=200)
        response["Allow"] = ", ".join(allowed)
        return response
    if request.method not in declared.methods:
        response = error_response(405, "Method not allowed")
        response["Allow"] = ", ".join(allowed)
        return response
    access = access_for(request)
    limited = ratelimits.over_limit(request, access)
    if limited is not None:
        return limited
    data = request.GET if request.method == "GET" else request.POST
    try:
        if declared.permission and not access.has(declared.permission):
            raise PermissionRequired(declared.permission)
        params, raw = validate(declared.all_parameters(), data)
        result = declared.handle(Call(request, access, params, raw))
    except ParameterErrors as exc:
        return error_response(exc.status, exc.message, errors=exc.errors)
    except ApiError as exc:
        return error_response(exc.status, exc.message)
    except BadArgumentError as exc:
        return error_response(400, bad_request(exc).message)
    except tuple(UNAVAILABLE) as exc:
        return _unavailable(name, exc)
    except Exception:
        logger.exception("event=api_error endpoint=%s", name)
        return server_error(request)
    if isinstance(result, HttpResponse):
        return result
    response = json_response(result, pretty=request.GET.get("pretty") == "print")
    if declared.cache_seconds:
        response["Cache-Control"] = f"private, max-age={declared.cache_seconds}"
    else:
        response["Cache-Control"] = "private, no-store"
    return response


def _unavailable(name: str, exc: Exception) -> HttpResponse:
    what = next(label for kind, label in UNAVAILABLE.items() if isinstance(exc, kind))
    logger.error("event=backend_failed endpoint=%s error=%r", name, exc)
    response = error_response(
        503, f"Service Unavailable: {what} did not answer ({type(exc).__name__}); try again later"
    )
    response["Retry-After"] = "30"
    return response


def documentation(request: HttpRequest) -> HttpResponse:
    """The API reference: HTML, or JSON with ``?format=json``."""
    access = access_for(request)
    described = reference.describe(access)
    if request.GET.get("format") == "json":
        return json_response(described, pretty=request.GET.get("pretty") == "print")
    return render(request, "api/documentation.html", {"reference": described})
