"""API rate limits: per user when logged in or using a token, per client address otherwise."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from webapp.crashstats.permissions import Access
from webapp.crashstats.responses import error_response

GROUP = "api"


def over_limit(request: HttpRequest, access: Access) -> HttpResponse | None:
    """None while the caller is within its limit; else the 429 answer, with Retry-After."""
    webapp = settings.JANSKY_WEBAPP
    if access.is_authenticated:
        key, rate = f"user:{access.user.pk}", webapp.ratelimit_authenticated
        who = "per user"
    else:
        key, rate = f"address:{request.META.get('REMOTE_ADDR', '')}", webapp.ratelimit_anonymous
        who = "per address without login or API token"
    usage = get_usage(request, group=GROUP, key=lambda *_: key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    retry_after = max(1, usage["time_left"])
    response = error_response(
        429,
        f"Too Many Requests: at most {rate} API requests {who}; retry in {retry_after} s"
        + ("" if access.is_authenticated else " or use an API token for a higher limit"),
    )
    response["Retry-After"] = str(retry_after)
    return response
