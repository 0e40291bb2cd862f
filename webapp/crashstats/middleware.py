"""The client's address behind a proxy, for rate limits and logs."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ClientAddressMiddleware:
    """Replace ``REMOTE_ADDR`` with the address in ``WEBAPP_CLIENT_IP_HEADER``, when set.

    ``X-Forwarded-For`` lists every hop; the last one was added by the proxy in front of us,
    the earlier ones are whatever the client sent.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        header = settings.CLIENT_IP_HEADER
        self.meta_key = "HTTP_" + header.upper().replace("-", "_") if header else ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.meta_key:
            value = request.META.get(self.meta_key, "")
            address = value.rsplit(",", 1)[-1].strip()
            if address:
                request.META["REMOTE_ADDR"] = address
        return self.get_response(request)
