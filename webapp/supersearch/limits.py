"""The rate limit of searches made from pages (Super Search, custom queries)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from webapp.crashstats.permissions import access_for

RATELIMIT_GROUP = "search-pages"


def over_limit(request: HttpRequest) -> bool:
    """Searches from pages count against the same per-user or per-address limits as the API."""
    webapp = settings.JANSKY_WEBAPP
    access = access_for(request)
    if access.is_authenticated:
        key, rate = f"user:{access.user.pk}", webapp.ratelimit_authenticated
    else:
        key, rate = f"address:{request.META.get('REMOTE_ADDR', '')}", webapp.ratelimit_anonymous
    return is_ratelimited(
        request, group=RATELIMIT_GROUP, key=lambda *_: key, rate=rate, increment=True
    )
