"""The API reference, generated from the endpoint declarations that validate requests."""

from __future__ import annotations

import inspect
from typing import Any

from django.conf import settings
from django.utils import timezone

from webapp.api.declarations import Endpoint
from webapp.api.endpoints import ENDPOINTS
from webapp.crashstats.permissions import Access, display_name

ERRORS = [
    {
        "status": 400,
        "error": "Bad request: ...",
        "when": "a bad parameter value; form errors also list `errors`: {parameter: [messages]}",
    },
    {
        "status": 403,
        "error": "Use of this endpoint requires the '<permission>' permission",
        "when": "the endpoint needs a permission you (or your token) do not hold",
    },
    {
        "status": 403,
        "error": "API Token not matched | API Token found but expired | User of "
        "API token not active",
        "when": "the Auth-Token header is wrong",
    },
    {
        "status": 404,
        "error": "No service called '<name>' | Not found: CrashIDNotFound ...",
        "when": "an unknown endpoint, or a crash that is not stored (or not processed yet)",
    },
    {"status": 405, "error": "Method not allowed", "when": "e.g. a GET to Reprocessing"},
    {
        "status": 429,
        "error": "Too Many Requests: ...",
        "when": "over the rate limit; wait Retry-After seconds",
    },
    {
        "status": 503,
        "error": "Service Unavailable: ...",
        "when": "storage, queue or search did not answer; retry later",
    },
]


def describe_endpoint(endpoint: Endpoint, access: Access) -> dict[str, Any]:
    permission = endpoint.permission
    return {
        "name": endpoint.name,
        "url": f"/api/{endpoint.name}/",
        "methods": list(endpoint.methods),
        "summary": endpoint.summary,
        "description": inspect.cleandoc(type(endpoint).__doc__ or ""),
        "permission": None
        if permission is None
        else {"codename": permission, "name": display_name(permission)},
        "you_may_use": permission is None or access.has(permission),
        "parameters": [param.describe() for param in endpoint.parameters],
        "returns": endpoint.returns,
        "example": endpoint.example,
        "cache_seconds": endpoint.cache_seconds,
        **endpoint.describe_extra(),
    }


def describe(access: Access) -> dict[str, Any]:
    """Every endpoint with its parameters and answer, and how authentication and errors work."""
    webapp = settings.JANSKY_WEBAPP
    user = access.user
    active_tokens = (
        user.api_tokens.filter(expires__gt=timezone.now()).count() if access.is_authenticated else 0
    )
    return {
        "endpoints": [describe_endpoint(endpoint, access) for endpoint in ENDPOINTS.values()],
        "authentication": {
            "header": "Auth-Token",
            "description": "Send an API token (from /api/tokens/) in the Auth-Token header; "
            "requests then have only the permissions the token carries. Logged-in browsers "
            "use their session instead.",
            "your_permissions": sorted(access.permissions),
            "your_active_tokens": active_tokens,
        },
        "rate_limits": {
            "anonymous": webapp.ratelimit_anonymous,
            "authenticated": webapp.ratelimit_authenticated,
        },
        "errors": ERRORS,
        "formats": {
            "pretty": "add pretty=print to indent the JSON",
            "cors": "GET from any origin; no cookies are sent cross-origin",
        },
    }
