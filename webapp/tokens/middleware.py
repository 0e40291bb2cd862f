"""``Auth-Token`` authentication for the API.

On an API path, and on a symbol upload (``/symbols/upload``), a request with an ``Auth-Token``
header is made as the token's owner for this request only (no session is created), and its
permissions are only those the token carries and the owner still holds, superusers included.
Pages, the admin and the token pages themselves never accept tokens: a token cannot reach
more than the API.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from webapp.crashstats.permissions import TOKEN_PERMISSIONS_ATTRIBUTE
from webapp.crashstats.responses import error_response
from webapp.tokens.models import find_token

HEADER = "Auth-Token"
API_PREFIX = "/api/"
NOT_FOR_TOKENS = "/api/tokens/"
# Symbol uploads and their JSON answers (not the upload pages).
SYMBOL_UPLOAD = re.compile(r"^/symbols/upload(/\d+)?$")


class TokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or not accepts_tokens(request.path):
            return self.get_response(request)
        token = find_token(key)
        if token is None:
            return error_response(403, "API Token not matched")
        if token.is_expired:
            return error_response(403, "API Token found but expired")
        if not token.user.is_active:
            return error_response(403, "User of API token not active")
        request.user = token.user
        request.auth_token = token
        setattr(request, TOKEN_PERMISSIONS_ATTRIBUTE, token.codenames())
        return self.get_response(request)


def accepts_tokens(path: str) -> bool:
    if SYMBOL_UPLOAD.match(path):
        return True
    return path.startswith(API_PREFIX) and not path.startswith(NOT_FOR_TOKENS)
